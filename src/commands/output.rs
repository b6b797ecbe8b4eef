//! How commands print: output written to a possibly closed pipe, colours,
//! tables, and the summary lines of deployed releases.

use crate::cluster::prune::Keep;
use crate::deploy::apply::Deployed;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// Writes command output, turning a closed pipe into a quiet success.
pub fn write(out: &mut dyn std::io::Write, text: &str) -> Result<(), Diagnostics> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Diagnostic::error(format!("cannot write output: {e}")).into()),
    }
}

/// Rows under a header, columns padded to line up; the last column is not padded.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Whether stdout gets colours: a terminal, and `NO_COLOR` unset.
pub fn stdout_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// A deployed release in one line, with the objects prune kept.
pub fn deployed(deployed: &Deployed) -> String {
    let applied = &deployed.applied;
    let mut text = format!(
        "release {}: revision {}: {} created, {} changed",
        deployed.release,
        deployed.revision,
        deployed.created(),
        applied.changed,
    );
    if applied.replaced > 0 {
        text.push_str(&format!(", {} replaced", applied.replaced));
    }
    text.push_str(&format!(
        ", {} deleted, {} unchanged",
        deployed.pruned.deleted, applied.unchanged
    ));
    if applied.skipped > 0 {
        text.push_str(&format!(", {} skipped", applied.skipped));
    }
    if applied.adopted > 0 {
        text.push_str(&format!(", {} adopted", applied.adopted));
    }
    text.push('\n');
    if let Some(took) = &deployed.took_over {
        text.push_str(&format!(
            "release {}: took over Helm release `{}`: {} objects now managed by cleat only",
            deployed.release, took.helm_release, took.moved
        ));
        if took.retired > 0 {
            text.push_str(&format!(", {} Helm records deleted", took.retired));
        }
        if took.kept > 0 {
            text.push_str(&format!(
                ", {} Helm records kept (--keep-helm-history)",
                took.kept
            ));
        }
        text.push('\n');
    }
    text.push_str(&kept(&deployed.pruned.kept));
    text
}

/// A release's NOTES, under a heading, each line indented.
pub fn notes(release: &str, notes: &str) -> String {
    let mut text = format!("NOTES of release {release}:\n");
    for line in notes.trim_end().lines() {
        text.push_str(&format!("  {line}\n").replace("  \n", "\n"));
    }
    text
}

/// Objects left in place, a line each with why.
pub fn kept(kept: &[(String, Keep)]) -> String {
    kept.iter()
        .map(|(id, keep)| format!("  kept {id}: {keep}\n"))
        .collect()
}
