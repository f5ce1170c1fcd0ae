//! CSV export (RFC 4180) with spreadsheet formula-injection escaping.
//!
//! Visitor-typed text ends up in the owner's spreadsheet. A cell that starts with `=`, `+`, `-`,
//! `@`, tab or carriage return is evaluated as a formula by Excel/LibreOffice/Sheets, so such
//! cells get a leading `'` (OWASP's recommendation), which the spreadsheet shows as text.

/// Appends one record to `out`, terminated by CRLF.
pub(crate) fn write_row<I, S>(out: &mut String, cells: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

fn write_cell(out: &mut String, cell: &str) {
    let formula = matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    );
    let needs_quotes = formula || cell.contains([',', '"', '\n', '\r']);
    if needs_quotes {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for ch in cell.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    if needs_quotes {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut s = String::new();
        write_row(&mut s, cells);
        s
    }

    #[test]
    fn plain_cells_stay_plain() {
        assert_eq!(row(&["a", "b c", "1.5"]), "a,b c,1.5\r\n");
    }

    #[test]
    fn quotes_separators_and_newlines() {
        assert_eq!(
            row(&["a,b", "say \"hi\"", "l1\nl2"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\"\r\n"
        );
    }

    #[test]
    fn escapes_formula_triggers() {
        assert_eq!(
            row(&["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "a=b"]),
            "\"'=1+1\",\"'+1\",\"'-2\",\"'@SUM(A1)\",\"'\tx\",\"'\rx\",a=b\r\n"
        );
        assert_eq!(
            row(&["=HYPERLINK(\"x\")"]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
    }
}
