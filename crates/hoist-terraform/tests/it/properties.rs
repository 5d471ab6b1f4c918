//! Properties of the formatter over arbitrary input: it never panics, it changes only
//! blanks (and terraform's own rewrites), and formatting its output changes nothing.

use proptest::prelude::*;

/// Pieces of HCL that, joined at random, make text close enough to real files to reach
/// every rule (and often broken enough to reach the refusals).
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("resource \"a\" \"b\" {\n".to_owned()),
        Just("}\n".to_owned()),
        Just("  x = 1\n".to_owned()),
        Just("y=\"${var.z}\"\n".to_owned()),
        Just("list = [1,2,\n3]\n".to_owned()),
        Just("m = {a=1, b = { c = 2 }}\n".to_owned()),
        Just("h = <<EOT\n  body ${x}\nEOT\n".to_owned()),
        Just("# comment\n".to_owned()),
        Just("a = b # trailing\n".to_owned()),
        Just("f = [for k, v in var.m : k => v if v]\n".to_owned()),
        Just("n = -1 * (2 - -3)\n".to_owned()),
        Just("variable \"v\" { type = \"list\" }\n".to_owned()),
        Just("block unquoted label {\n".to_owned()),
        "[ \t]{0,4}".prop_map(|s| s),
        "[a-z_{}\\[\\]()=\"$%#<>!?:,.*/+-]{1,8}".prop_map(|s| s),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn formatting_never_panics_and_is_idempotent(parts in proptest::collection::vec(fragment(), 0..12)) {
        let src: String = parts.concat();
        if let Ok(once) = hoist_terraform::format(&src) {
            let twice = hoist_terraform::format(&once);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_str()), "not idempotent for {:?}", src);
            // No newline is added or removed.
            prop_assert_eq!(
                once.matches('\n').count(),
                src.matches('\n').count(),
                "newlines changed for {:?}",
                src
            );
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let src = String::from_utf8_lossy(&bytes);
        let _ = hoist_terraform::format(&src);
    }
}
