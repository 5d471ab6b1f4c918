//! `schedule` cron expressions: validation (five fields, POSIX syntax, month and weekday
//! names, as GitHub accepts them) and which minutes they fire at.

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

/// A parsed cron expression: the values each field allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    fields: [Vec<u32>; 5],
    /// Whether day of month and day of week were both restricted (not `*`): then, as in
    /// POSIX cron, a day matches when either does.
    either_day: bool,
}

/// One UTC minute, as a schedule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minute {
    pub minute: u32,
    pub hour: u32,
    pub day: u32,
    pub month: u32,
    /// 0 is Sunday.
    pub weekday: u32,
}

impl Schedule {
    /// Parses `expr`, with the errors of [`validate`].
    pub fn parse(expr: &str) -> Result<Self, CronError> {
        validate(expr)?;
        let parts: Vec<&str> = expr.split(' ').filter(|p| !p.is_empty()).collect();
        let mut fields: [Vec<u32>; 5] = Default::default();
        for (i, text) in parts.iter().enumerate() {
            let (_, min, max) = FIELDS[i];
            fields[i] = parse_field(text, i, min, max).unwrap_or_default();
        }
        let restricted = |t: &str| !t.starts_with('*');
        Ok(Self {
            fields,
            either_day: restricted(parts[2]) && restricted(parts[4]),
        })
    }

    /// Whether the schedule fires at `at`.
    pub fn fires_at(&self, at: Minute) -> bool {
        let has = |i: usize, v: u32| self.fields[i].contains(&v);
        let day = if self.either_day {
            has(2, at.day) || has(4, at.weekday)
        } else {
            has(2, at.day) && has(4, at.weekday)
        };
        has(0, at.minute) && has(1, at.hour) && has(3, at.month) && day
    }
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
    #[test]
    fn schedules_fire_at_their_minutes() {
        use super::{Minute, Schedule};
        let at = |minute, hour, day, month, weekday| Minute {
            minute,
            hour,
            day,
            month,
            weekday,
        };
        let nightly = Schedule::parse("30 3 * * *").unwrap();
        assert!(nightly.fires_at(at(30, 3, 2, 12, 3)));
        assert!(!nightly.fires_at(at(31, 3, 2, 12, 3)));
        let every_15 = Schedule::parse("*/15 * * * *").unwrap();
        assert!(every_15.fires_at(at(45, 7, 1, 1, 0)) && !every_15.fires_at(at(44, 7, 1, 1, 0)));
        let weekdays = Schedule::parse("0 9 * * MON-FRI").unwrap();
        assert!(weekdays.fires_at(at(0, 9, 7, 12, 1)) && !weekdays.fires_at(at(0, 9, 6, 12, 0)));
        // Both days restricted: either matches (POSIX).
        let either = Schedule::parse("0 0 1 * SUN").unwrap();
        assert!(either.fires_at(at(0, 0, 1, 5, 3)) && either.fires_at(at(0, 0, 9, 5, 0)));
        assert!(!either.fires_at(at(0, 0, 9, 5, 2)));
    }

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
