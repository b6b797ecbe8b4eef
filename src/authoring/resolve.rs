//! Dependency resolution: a package's dependency constraints to exact
//! versions and digests, and the fetched packages as a [`Tree`].
//!
//! One version of each package name serves the whole tree: the highest
//! version that satisfies every constraint on that name, found by trying the
//! newest candidates first and backing up when a choice leaves another
//! constraint unsatisfiable. Constraints come from repository indexes, so no
//! archive is downloaded until the versions are settled; every archive is
//! then fetched through the verifying cache of [`crate::authoring::repository`].

use std::collections::BTreeMap;

use crate::authoring::package::{Dependency, Package};
use crate::authoring::repository::{Client, Entry, Location};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Origin};

/// Most candidate versions tried before resolution gives up.
const MAX_STEPS: usize = 10_000;

/// A package with its resolved dependencies.
#[derive(Debug, Clone)]
pub struct Tree {
    pub package: Package,
    /// Where the package came from: its directory or archive for the root, its
    /// repository for dependencies.
    pub location: Location,
    pub dependencies: Vec<Child>,
}

/// One dependency in a [`Tree`], as its parent declares it.
#[derive(Debug, Clone)]
pub struct Child {
    pub dependency: Dependency,
    pub tree: Tree,
}

impl Tree {
    /// A package without dependencies, or whose dependencies are not needed.
    pub fn leaf(package: Package) -> Tree {
        let location = Location::Dir(package.location.clone());
        Tree {
            package,
            location,
            dependencies: Vec::new(),
        }
    }
}

/// The highest version of `name` that satisfies `version` in the repository
/// at `location`, fetched and verified.
pub fn from_repository(
    name: &str,
    version: &semver::VersionReq,
    location: &Location,
    client: &mut Client,
) -> Result<Package, Diagnostics> {
    loop {
        let index = client.index(location)?;
        if let Some(entry) = index.versions(name).find(|e| version.matches(&e.version)) {
            return client.fetch(location, &entry.clone());
        }
        if !client.refresh_stale() {
            let hint = available(name, location, index.versions(name));
            return Err(Diagnostic::error(format!(
                "no version of `{name}` in {location} satisfies `{version}`"
            ))
            .hint(hint)
            .into());
        }
    }
}

/// The highest version of Helm chart `name` in the Helm repository at
/// `location` that satisfies `version`, and its archive's bytes, verified
/// against the index's digest. A stale cached index is fetched again
/// before giving up.
pub fn chart_from_repository(
    name: &str,
    version: &semver::VersionReq,
    location: &Location,
    client: &mut Client,
) -> Result<(crate::authoring::chart::Chart, Vec<u8>), Diagnostics> {
    loop {
        let index = client.chart_index(location)?;
        if let Some(entry) = index.versions(name).find(|e| version.matches(&e.version)) {
            let entry = entry.clone();
            let bytes = client.fetch_chart(location, &entry)?;
            let shown = format!("chart {name} {} from {location}", entry.version);
            let chart = crate::authoring::chart::Chart::read_archive(&shown, &bytes)?;
            if chart.name() != name
                || chart.metadata.version.trim_start_matches('v') != entry.version.to_string()
            {
                return Err(Diagnostic::error(format!(
                    "{shown} holds chart {} {}",
                    chart.name(),
                    chart.metadata.version
                ))
                .hint("the repository's index does not match its archives; ask its owner to index it again")
                .into());
            }
            return Ok((chart, bytes));
        }
        if !client.refresh_stale() {
            let versions: Vec<String> = index
                .versions(name)
                .map(|e| e.version.to_string())
                .collect();
            let hint = if versions.is_empty() {
                format!("{location} has no chart `{name}`")
            } else {
                format!(
                    "versions of `{name}` in {location}: {}",
                    versions.join(", ")
                )
            };
            return Err(Diagnostic::error(format!(
                "no version of chart `{name}` in {location} satisfies `{version}`"
            ))
            .hint(hint)
            .into());
        }
    }
}

/// Resolves and fetches the dependencies of `package`. A package without
/// dependencies needs no repository and makes no request.
pub fn resolve(package: Package, client: &mut Client) -> Result<Tree, Diagnostics> {
    if package.manifest.dependencies.is_empty() {
        return Ok(Tree::leaf(package));
    }
    // Relative repositories are relative to a package directory, or to the
    // directory an archive sits in (its repository).
    let base = if package.location.is_dir() {
        package.location.clone()
    } else {
        crate::shared::files::parent_dir(&package.location).to_path_buf()
    };
    let root = Chosen {
        name: package.manifest.name.clone(),
        version: package.manifest.version.clone(),
        location: Location::Dir(base),
        dependencies: package.manifest.dependencies.clone(),
        chain: Vec::new(),
        origin: None,
        entry: None,
    };
    let mut solver = Solver { client, steps: 0 };
    let mut chosen = vec![root];
    let mut result = solver.solve(&mut chosen);
    if matches!(result, Err(Failure::Conflict(_))) && solver.client.refresh_stale() {
        // A cached index may just be old: try once more with fresh ones.
        chosen.truncate(1);
        solver.steps = 0;
        result = solver.solve(&mut chosen);
    }
    match result {
        Ok(()) => {}
        Err(Failure::Conflict(conflict)) => return Err(conflict.into()),
        Err(Failure::Fatal(errors)) => return Err(errors),
    }
    check_cycles(&chosen)?;
    let mut fetched = BTreeMap::new();
    for (pick, entry) in chosen.iter().filter_map(|c| Some((c, c.entry.as_ref()?))) {
        let fetched_package = solver.client.fetch(&pick.location, entry)?;
        if fetched_package.manifest.dependencies.len() != entry.dependencies.len()
            || fetched_package
                .manifest
                .dependencies
                .iter()
                .zip(&entry.dependencies)
                .any(|(a, b)| {
                    a.name != b.name || a.version != b.version || a.repository != b.repository
                })
        {
            return Err(Diagnostic::error(format!(
                "{} {} declares other dependencies than the index of {} lists for it",
                entry.name, entry.version, pick.location
            ))
            .hint("the index is out of date or was edited; index the repository again")
            .into());
        }
        fetched.insert(pick.name.clone(), (fetched_package, pick.location.clone()));
    }
    let location = Location::Dir(package.location.clone());
    Ok(build(package, location, &fetched, ""))
}

/// The tree below `package`, from the fetched packages; `prefix` goes in
/// front of the names of its files, so messages say which package they are in.
fn build(
    package: Package,
    location: Location,
    fetched: &BTreeMap<String, (Package, Location)>,
    prefix: &str,
) -> Tree {
    let dependencies = package
        .manifest
        .dependencies
        .iter()
        .filter_map(|dependency| {
            let (child, location) = fetched.get(&dependency.name)?;
            let prefix = format!("{prefix}{}/", dependency.key());
            Some(Child {
                dependency: dependency.clone(),
                tree: build(child.prefixed(&prefix), location.clone(), fetched, &prefix),
            })
        })
        .collect();
    Tree {
        package,
        location,
        dependencies,
    }
}

/// One package chosen for the tree, the root first.
struct Chosen {
    name: String,
    version: semver::Version,
    location: Location,
    dependencies: Vec<Dependency>,
    /// The packages that led to this one, from the root, as `name version`
    /// (empty for the root).
    chain: Vec<String>,
    /// Where the root declares the dependency this one descends from.
    origin: Option<Origin>,
    entry: Option<Entry>,
}

/// One constraint on a package name.
struct Requirement {
    dependency: Dependency,
    location: Location,
    /// The packages from the root to the one that declares the constraint.
    chain: Vec<String>,
    origin: Origin,
}

enum Failure {
    /// No versions satisfy the constraints; another choice upstream may help.
    Conflict(Diagnostic),
    /// Resolution cannot go on at all.
    Fatal(Diagnostics),
}

struct Solver<'c> {
    client: &'c mut Client,
    steps: usize,
}

impl Solver<'_> {
    fn solve(&mut self, chosen: &mut Vec<Chosen>) -> Result<(), Failure> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Failure::Fatal(
                Diagnostic::error(format!(
                    "dependency resolution gave up after trying {MAX_STEPS} versions"
                ))
                .hint("narrow the version constraints in package.yaml")
                .into(),
            ));
        }
        let requirements = requirements(chosen);
        for requirement in &requirements {
            let name = &requirement.dependency.name;
            if *name == chosen[0].name {
                let mut chain = requirement.chain.clone();
                chain.push(format!("{name} {}", chosen[0].version));
                return Err(Failure::Fatal(
                    Diagnostic::error(format!("dependency cycle: {}", chain.join(" → ")))
                        .at(requirement.origin.clone())
                        .hint("a package cannot depend on itself, directly or through others")
                        .into(),
                ));
            }
            if let Some(pick) = chosen.iter().find(|c| c.name == *name) {
                if !requirement.dependency.version.matches(&pick.version) {
                    let index = self.client.index(&pick.location).map_err(Failure::Fatal)?;
                    return Err(Failure::Conflict(unsatisfiable(
                        name,
                        &requirements,
                        &index.versions(name).collect::<Vec<_>>(),
                        &pick.location,
                    )));
                }
            }
        }
        let Some(next) = requirements
            .iter()
            .find(|r| !chosen.iter().any(|c| c.name == r.dependency.name))
        else {
            return Ok(());
        };
        let name = next.dependency.name.clone();
        let on_name: Vec<&Requirement> = requirements
            .iter()
            .filter(|r| r.dependency.name == name)
            .collect();
        if let Some(other) = on_name.iter().find(|r| r.location != next.location) {
            return Err(Failure::Fatal(
                Diagnostic::error(format!(
                    "`{name}` is required from two repositories: {} (by {}) and {} (by {})",
                    next.location,
                    next.chain.join(" → "),
                    other.location,
                    other.chain.join(" → ")
                ))
                .at(other.origin.clone())
                .hint("a package name means one package in a tree; use the same repository everywhere")
                .into(),
            ));
        }
        let index = self.client.index(&next.location).map_err(|mut errors| {
            // A repository that cannot be read is named where it is declared.
            for diagnostic in &mut errors.0 {
                if diagnostic.origin.is_none() && diagnostic.subject.is_none() {
                    *diagnostic = diagnostic.clone().at(next.dependency.origin.clone());
                }
            }
            Failure::Fatal(errors)
        })?;
        let available: Vec<&Entry> = index.versions(&name).collect();
        let candidates = available.iter().filter(|e| {
            on_name
                .iter()
                .all(|r| r.dependency.version.matches(&e.version))
        });
        let mut failure = None;
        for entry in candidates {
            chosen.push(Chosen {
                name: name.clone(),
                version: entry.version.clone(),
                location: next.location.clone(),
                dependencies: entry.dependencies.clone(),
                chain: next.chain.clone(),
                origin: Some(next.origin.clone()),
                entry: Some((*entry).clone()),
            });
            match self.solve(chosen) {
                Ok(()) => return Ok(()),
                Err(Failure::Fatal(errors)) => return Err(Failure::Fatal(errors)),
                Err(Failure::Conflict(conflict)) => {
                    failure.get_or_insert(conflict);
                    chosen.pop();
                }
            }
        }
        Err(Failure::Conflict(failure.unwrap_or_else(|| {
            unsatisfiable(&name, &requirements, &available, &next.location)
        })))
    }
}

/// Every constraint the chosen packages declare.
fn requirements(chosen: &[Chosen]) -> Vec<Requirement> {
    let mut requirements = Vec::new();
    for pick in chosen {
        let mut chain = pick.chain.clone();
        chain.push(format!("{} {}", pick.name, pick.version));
        for dependency in &pick.dependencies {
            requirements.push(Requirement {
                dependency: dependency.clone(),
                location: Location::parse(&dependency.repository, &pick.location),
                chain: chain.clone(),
                origin: pick
                    .origin
                    .clone()
                    .unwrap_or_else(|| dependency.origin.clone()),
            });
        }
    }
    requirements
}

fn unsatisfiable(
    name: &str,
    requirements: &[Requirement],
    available: &[&Entry],
    location: &Location,
) -> Diagnostic {
    let on_name: Vec<&Requirement> = requirements
        .iter()
        .filter(|r| r.dependency.name == name)
        .collect();
    let mut message = format!("no version of `{name}` satisfies every constraint on it:");
    for requirement in &on_name {
        message.push_str(&format!(
            "\n  `{}` required by {}",
            requirement.dependency.version,
            requirement.chain.join(" → ")
        ));
    }
    let hint = self::available(name, location, available.iter().copied());
    let mut diagnostic = Diagnostic::error(message).hint(hint);
    if let Some(first) = on_name.first() {
        diagnostic = diagnostic.at(first.origin.clone());
    }
    diagnostic
}

/// The hint listing the versions of `name` that `location` has.
fn available<'a>(
    name: &str,
    location: &Location,
    entries: impl Iterator<Item = &'a Entry>,
) -> String {
    let versions: Vec<String> = entries.map(|e| e.version.to_string()).collect();
    if versions.is_empty() {
        format!("{location} has no package `{name}`")
    } else {
        format!(
            "versions of `{name}` in {location}: {}",
            versions.join(", ")
        )
    }
}

/// Refuses a cycle among the chosen packages, naming it.
fn check_cycles(chosen: &[Chosen]) -> Result<(), Diagnostic> {
    fn visit(
        at: usize,
        chosen: &[Chosen],
        path: &mut Vec<usize>,
        done: &mut Vec<bool>,
    ) -> Result<(), Diagnostic> {
        if let Some(start) = path.iter().position(|&p| p == at) {
            let names: Vec<String> = path[start..]
                .iter()
                .chain([&at])
                .map(|&i| format!("{} {}", chosen[i].name, chosen[i].version))
                .collect();
            return Err(
                Diagnostic::error(format!("dependency cycle: {}", names.join(" → ")))
                    .maybe_at(chosen[path[start]].origin.clone())
                    .hint("a package cannot depend on itself, directly or through others"),
            );
        }
        if done[at] {
            return Ok(());
        }
        path.push(at);
        for dependency in &chosen[at].dependencies {
            if let Some(next) = chosen.iter().position(|c| c.name == dependency.name) {
                visit(next, chosen, path, done)?;
            }
        }
        path.pop();
        done[at] = true;
        Ok(())
    }
    let mut done = vec![false; chosen.len()];
    visit(0, chosen, &mut Vec::new(), &mut done)
}
