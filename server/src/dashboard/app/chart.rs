//! The 7-day usage chart, drawn by the server as SVG (no chart script), with the same numbers in
//! a table beside it for screen readers and for reading exact values.
//!
//! Grouped bars: one group per day, one bar per series; colours come from classes in `app.css`
//! (dieter-tokens), so the chart follows light and dark mode.

use std::fmt::Write as _;

use super::esc;
use crate::usage::{db::DayTotals, Report};

/// A counter of the report, as a chart series.
#[derive(Clone, Copy)]
pub(crate) enum Series {
    Loads,
    Views,
    Interactions,
    Errors,
}

impl Series {
    fn label(self) -> &'static str {
        match self {
            Series::Loads => "Loads",
            Series::Views => "Views",
            Series::Interactions => "Interactions",
            Series::Errors => "Errors",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Series::Loads => "s-loads",
            Series::Views => "s-views",
            Series::Interactions => "s-interactions",
            Series::Errors => "s-errors",
        }
    }

    fn of(self, d: &DayTotals) -> i64 {
        match self {
            Series::Loads => d.loads,
            Series::Views => d.views,
            Series::Interactions => d.interactions,
            Series::Errors => d.errors,
        }
    }
}

const W: i64 = 480;
const H: i64 = 220;
const LEFT: i64 = 44;
const BOTTOM: i64 = 28;
const TOP: i64 = 12;

/// A round axis maximum at or above `max` (1, 2, 5 × 10ⁿ), so gridlines land on round numbers.
fn nice_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// "Mon 23": the short label of a `YYYY-MM-DD` day.
fn day_label(day: &str) -> String {
    let parse = || {
        let mut parts = day.split('-').map(str::parse::<i32>);
        let (y, m, d) = (
            parts.next()?.ok()?,
            parts.next()?.ok()?,
            parts.next()?.ok()?,
        );
        let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
        time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()
    };
    match parse() {
        Some(date) => format!("{} {}", &date.weekday().to_string()[..3], date.day()),
        None => day.to_owned(),
    }
}

/// The chart and its table for `series` of `report`; `caption` names what is counted.
pub(crate) fn render(report: &Report, series: &[Series], caption: &str, id: &str) -> String {
    let max = report
        .days
        .iter()
        .flat_map(|d| series.iter().map(|s| s.of(d)))
        .max()
        .unwrap_or(0);
    let top = nice_max(max);
    let plot_h = H - TOP - BOTTOM;
    let plot_w = W - LEFT - 8;
    let group_w = plot_w / report.days.len().max(1) as i64;
    let bar_w = ((group_w - 12) / series.len().max(1) as i64).max(2);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-title\" \
         preserveAspectRatio=\"xMidYMid meet\"><title id=\"{id}-title\">{} from {} to {}: {}</title>",
        esc(caption),
        report.from,
        report.to,
        series
            .iter()
            .map(|s| format!(
                "{} {}",
                report.days.iter().map(|d| s.of(d)).sum::<i64>(),
                s.label().to_lowercase()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // A middle gridline only where it lands on a whole number.
    let steps = if top % 2 == 0 { 2 } else { 1 };
    for i in 0..=steps {
        let value = top * i / steps;
        let y = TOP + plot_h - plot_h * i / steps;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{value}</text>",
            W - 8,
            LEFT - 6,
            y + 4
        );
    }
    for (i, day) in report.days.iter().enumerate() {
        let x0 = LEFT + group_w * i as i64 + 6;
        for (j, s) in series.iter().enumerate() {
            let v = s.of(day);
            let h = if v == 0 { 0 } else { (plot_h * v / top).max(2) };
            let _ = write!(
                svg,
                "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{bar_w}\" height=\"{h}\"/>",
                s.class(),
                x0 + bar_w * j as i64,
                TOP + plot_h - h
            );
        }
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x0 + (group_w - 12) / 2,
            H - 8,
            day_label(&day.day)
        );
    }
    svg.push_str("</svg>");
    let legend: String = series
        .iter()
        .map(|s| {
            format!(
                "<li><span class=\"swatch {}\" aria-hidden=\"true\"></span>{}</li>",
                s.class(),
                s.label()
            )
        })
        .collect();
    let head: String = series
        .iter()
        .map(|s| format!("<th scope=\"col\">{}</th>", s.label()))
        .collect();
    let rows: String = report
        .days
        .iter()
        .map(|d| {
            let cells: String = series
                .iter()
                .map(|s| format!("<td>{}</td>", s.of(d)))
                .collect();
            format!(
                "<tr><th scope=\"row\">{}</th>{cells}</tr>",
                day_label(&d.day)
            )
        })
        .collect();
    let totals: String = series
        .iter()
        .map(|s| format!("<td>{}</td>", s.of(&report.totals)))
        .collect();
    let quiet = if max == 0 {
        "<p class=\"muted\">No traffic in these 7 days yet: counts appear once a page loads the embed.</p>"
    } else {
        ""
    };
    format!(
        "<div class=\"usage\"><figure class=\"chart-box\">{svg}<figcaption><ul class=\"legend\">{legend}</ul>\
         {quiet}</figcaption></figure><div class=\"table-wrap\"><table class=\"data\" id=\"{id}-table\">\
         <caption>{} (UTC days)</caption><thead><tr><th scope=\"col\">Day</th>{head}</tr></thead>\
         <tbody>{rows}</tbody><tfoot><tr><th scope=\"row\">7 days</th>{totals}</tr></tfoot></table></div></div>",
        esc(caption)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        for (max, nice) in [
            (0, 1),
            (1, 1),
            (3, 5),
            (7, 10),
            (12, 20),
            (480, 500),
            (501, 1000),
        ] {
            assert_eq!(nice_max(max), nice, "{max}");
        }
    }

    #[test]
    fn labels_name_the_weekday() {
        assert_eq!(day_label("2026-11-29"), "Sun 29");
        assert_eq!(day_label("garbage"), "garbage");
    }

    #[test]
    fn chart_and_table_carry_the_same_numbers() {
        let day = |d: &str, views| DayTotals {
            day: d.into(),
            views,
            ..Default::default()
        };
        let report = Report {
            from: "2026-11-28".into(),
            to: "2026-11-29".into(),
            days: vec![day("2026-11-28", 0), day("2026-11-29", 7)],
            totals: day("", 7),
            widgets: vec![],
        };
        let out = render(&report, &[Series::Views], "Views <of> x", "u");
        assert!(out.contains("<td>7</td>") && out.contains("<td>0</td>"));
        assert!(out.contains("Views &lt;of&gt; x"));
        assert!(out.contains("7 views"));
        // The zero day has a zero-height bar; 7 on an axis to 10 fills 7/10 of the plot.
        let bar = (H - TOP - BOTTOM) * 7 / 10;
        assert!(out.contains("height=\"0\"") && out.contains(&format!("height=\"{bar}\"")));
    }
}
