//! Validation of `schedule` cron expressions: five fields, POSIX syntax, month and weekday
//! names, as GitHub accepts them.

/// A problem in a cron expression: which field (0-based, or `None` for the whole) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError {
    pub field: Option<usize>,
    /// Character offset and length of the offending field within the expression.
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
];

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Checks a cron expression. On success returns the smallest interval in minutes between runs
/// implied by the minute and hour fields (used to warn about schedules under five minutes).
pub fn validate(expr: &str) -> Result<u32, CronError> {
    let mut fields = Vec::new();
    let mut offset = 0;
    for part in expr.split(' ') {
        if !part.is_empty() {
            fields.push((offset, part));
        }
        offset += part.chars().count() + 1;
    }
    if fields.len() != 5 {
        return Err(CronError {
            field: None,
            offset: 0,
            len: expr.chars().count().max(1),
            message: format!(
                "cron expression `{expr}` has {} field(s); it needs 5: minute, hour, day of month, month, day of week",
                fields.len()
            ),
        });
    }
    let mut minute_values = Vec::new();
    for (i, (offset, text)) in fields.iter().enumerate() {
        let (name, min, max) = FIELDS[i];
        let values = parse_field(text, i, min, max).map_err(|message| CronError {
            field: Some(i),
            offset: *offset,
            len: text.chars().count(),
            message: format!("invalid {name} field `{text}` in cron `{expr}`: {message}"),
        })?;
        if i == 0 {
            minute_values = values;
        }
    }
    let hour_is_star = fields[1].1 == "*";
    Ok(smallest_interval(&minute_values, hour_is_star))
}

fn smallest_interval(minutes: &[u32], every_hour: bool) -> u32 {
    if minutes.len() <= 1 {
        return if every_hour { 60 } else { 60 * 24 };
    }
    let mut gaps: Vec<u32> = minutes.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.push(60 - minutes[minutes.len() - 1] + minutes[0]);
    gaps.into_iter().min().unwrap_or(60)
}

fn parse_field(text: &str, field: usize, min: u32, max: u32) -> Result<Vec<u32>, String> {
    let mut values = Vec::new();
    for item in text.split(',') {
        if item.is_empty() {
            return Err("empty list item".to_owned());
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("step `{s}` is not a number"))?;
                if step == 0 {
                    return Err("a step of 0 never advances".to_owned());
                }
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let lo = value(a, field, min, max)?;
            let hi = value(b, field, min, max)?;
            if lo > hi {
                return Err(format!("range `{range}` runs backwards"));
            }
            (lo, hi)
        } else {
            let v = value(range, field, min, max)?;
            // `5/15` means "from 5 to the end, every 15".
            if item.contains('/') { (v, max) } else { (v, v) }
        };
        let mut v = lo;
        while v <= hi {
            values.push(v);
            v += step;
        }
    }
    values.sort_unstable();
    values.dedup();
    Ok(values)
}

fn value(text: &str, field: usize, min: u32, max: u32) -> Result<u32, String> {
    let upper = text.to_ascii_uppercase();
    let named = match field {
        3 => MONTHS
            .iter()
            .position(|m| *m == upper)
            .map(|i| i as u32 + 1),
        4 => WEEKDAYS.iter().position(|d| *d == upper).map(|i| i as u32),
        _ => None,
    };
    let v = match named {
        Some(v) => v,
        None => text
            .parse::<u32>()
            .map_err(|_| format!("`{text}` is not a number"))?,
    };
    if v < min || v > max {
        return Err(format!("{v} is out of range {min}-{max}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_valid_schedules() {
        assert_eq!(validate("*/15 * * * *"), Ok(15));
        assert_eq!(validate("30 5,17 * * MON-FRI"), Ok(60 * 24));
        assert_eq!(validate("0 0 1 JAN,jul *"), Ok(60 * 24));
        assert_eq!(validate("* * * * *"), Ok(1));
        assert!(validate("5/10 * * * *").is_ok());
    }

    #[test]
    fn rejects_invalid_schedules() {
        let e = validate("0 24 * * *").unwrap_err();
        assert_eq!(e.field, Some(1));
        assert_eq!(e.offset, 2);
        assert!(
            e.message.contains("24 is out of range 0-23"),
            "{}",
            e.message
        );
        assert!(validate("0 0 * *").unwrap_err().message.contains("4 field"));
        assert!(validate("61 * * * *").is_err());
        assert!(validate("*/0 * * * *").is_err());
        assert!(validate("0 0 * FOO *").is_err());
        assert!(validate("0 0 * * 7").is_err());
        assert!(validate("5-1 * * * *").is_err());
    }
}
