//! Statement text shared by the backends: each backend keeps one `.sql` file per statement
//! (`<backend>/queries/<table>/<verb>.sql`, the same names in every backend), compiled in
//! with `include_str!`, and this module turns a file into the text the driver prepares.
//!
//! The text may name two kinds of values in braces, so that no number or column list is
//! written twice:
//! - `{status.pending}`, `{trigger.manual}`, …: the integer a [`DeliveryStatus`] or
//!   [`Trigger`] is stored as, taken from the enum itself (named by
//!   [`DeliveryStatus::text`] and [`trigger_name`]). They are put into the text rather than
//!   bound as parameters because a partial index (`WHERE status IN (1,3)`) only serves a
//!   query whose own condition names the same literals. `{task.running}` and the like are
//!   a background task's [`TaskStatus`](crate::TaskStatus), by its Svix text.
//! - Anything else a backend defines (SQLite's `{cols.endpoint}`, the column list its row
//!   mapper reads), passed in as that backend's lookup.
//!
//! Lines that start with `--` are comments for the reader and are dropped, so the prepared
//! text (which is also a statement cache's key) holds only SQL. A text is rendered once, on
//! first use, and the same `&str` is returned from then on, so a statement prepared through
//! a per-connection cache is parsed once per connection, never per call.
//!
//! The stored integers are frozen: migrations built partial indexes over them and stored
//! rows hold them, so changing an enum's discriminant would silently change what old rows
//! mean. The backends' tests pin each value to their first migration.

use std::sync::OnceLock;

use sluice_core::model::{DeliveryStatus, Trigger};

/// Every delivery status, in the order of their stored values.
pub(crate) const STATUSES: [DeliveryStatus; 4] = [
    DeliveryStatus::Success,
    DeliveryStatus::Pending,
    DeliveryStatus::Fail,
    DeliveryStatus::Sending,
];

/// Every trigger, in the order of their stored values.
pub(crate) const TRIGGERS: [Trigger; 2] = [Trigger::Scheduled, Trigger::Manual];

/// The name of a trigger in statement text (`{trigger.manual}`).
pub(crate) fn trigger_name(t: Trigger) -> &'static str {
    match t {
        Trigger::Scheduled => "scheduled",
        Trigger::Manual => "manual",
    }
}

/// A backend's own placeholders: name → text.
pub(crate) type Vars = fn(&str) -> Option<&'static str>;

/// One statement of a backend, rendered on first use.
pub(crate) struct Sql {
    /// The file under the backend's `queries/` directory, for errors and tests.
    pub(crate) path: &'static str,
    raw: &'static str,
    vars: Vars,
    text: OnceLock<String>,
}

impl Sql {
    /// A statement from the contents of `path` (see the module docs for its placeholders).
    pub(crate) const fn new(path: &'static str, raw: &'static str, vars: Vars) -> Self {
        Self {
            path,
            raw,
            vars,
            text: OnceLock::new(),
        }
    }

    /// The text to prepare. Backends [`check`](Self::check) every statement when they open,
    /// so a placeholder nobody knows cannot reach a query; should one anyway, it is left in
    /// the text, which the database then rejects as a syntax error.
    pub(crate) fn text(&self) -> &str {
        self.text
            .get_or_init(|| render(self.raw, self.vars).unwrap_or_else(|_| self.raw.to_owned()))
    }

    /// Renders the statement; an error names the file and the unknown placeholder.
    pub(crate) fn check(&self) -> Result<(), String> {
        render(self.raw, self.vars)
            .map(|_| ())
            .map_err(|name| format!("{}: unknown placeholder {{{name}}}", self.path))
    }
}

/// The stored integer of `{status.…}` or `{trigger.…}`.
fn enum_value(name: &str) -> Option<i64> {
    if let Some(s) = name.strip_prefix("status.") {
        return STATUSES.iter().find(|v| v.text() == s).map(|v| *v as i64);
    }
    if let Some(t) = name.strip_prefix("task.") {
        return crate::TaskStatus::parse(t).map(|v| v as i64);
    }
    if let Some(t) = name.strip_prefix("trigger.") {
        return TRIGGERS
            .iter()
            .find(|v| trigger_name(**v) == t)
            .map(|v| *v as i64);
    }
    None
}

/// A placeholder name: lower-case words joined by `.` or `_`. Braces around anything else
/// (a JSON literal in a string, say) are left alone.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
}

/// Drops comment lines and fills in placeholders; `Err(name)` for an unknown one.
fn render(raw: &str, vars: Vars) -> Result<String, String> {
    let sql: Vec<&str> = raw
        .lines()
        .filter(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty())
        .collect();
    let sql = sql.join("\n");
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| &after[..close]) {
            Some(name) if is_name(name) => {
                match enum_value(name) {
                    Some(v) => out.push_str(&v.to_string()),
                    None => out.push_str(vars(name).ok_or_else(|| name.to_string())?),
                }
                rest = &after[name.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_vars(name: &str) -> Option<&'static str> {
        (name == "cols.x").then_some("x.a, x.b")
    }

    #[test]
    fn placeholders_take_the_enum_values() {
        let text = render(
            "-- a comment\nSELECT {cols.x} FROM x\n\n  -- another\nWHERE s IN ({status.pending},{status.sending}) \
             AND t = {trigger.manual} AND j = '{\"k\": 1}'",
            no_vars,
        )
        .unwrap();
        let expected = format!(
            "SELECT x.a, x.b FROM x\nWHERE s IN ({},{}) AND t = {} AND j = '{{\"k\": 1}}'",
            DeliveryStatus::Pending as i64,
            DeliveryStatus::Sending as i64,
            Trigger::Manual as i64
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn unknown_placeholders_are_refused() {
        assert_eq!(
            render("SELECT {status.lost}", no_vars),
            Err("status.lost".into())
        );
        assert_eq!(render("SELECT {cols.y}", no_vars), Err("cols.y".into()));
        let sql = Sql::new("x/typo.sql", "SELECT {trigger.later}", no_vars);
        assert_eq!(
            sql.check(),
            Err("x/typo.sql: unknown placeholder {trigger.later}".into())
        );
    }

    /// The lists hold every value the enums read back, each at its stored integer, so every
    /// status and trigger has a placeholder.
    #[test]
    fn lists_cover_every_stored_value() {
        for v in -1..=16 {
            assert_eq!(
                DeliveryStatus::from_i64(v),
                STATUSES.get(v as usize).copied().filter(|_| v >= 0),
                "status {v}"
            );
        }
        for (i, t) in TRIGGERS.iter().enumerate() {
            assert_eq!(*t as i64, i as i64);
            assert_eq!(Trigger::from_i64(i as i64), *t);
        }
    }
}
