//! Every string cleat writes as YAML, key or value, reads back exactly: with
//! cleat's own parser and with PyYAML, a YAML 1.1 parser like the ones
//! Kubernetes tools use. Strings are drawn (deterministically) from every
//! class of Unicode that YAML treats specially.

mod common;

use std::process::Command;

/// Characters by class: plain ASCII, YAML indicators, white space and
/// breaks, C0 and C1 controls, DEL, NEL, the Unicode line and paragraph
/// separators, the byte-order mark, non-characters, and printable
/// characters beyond ASCII (Latin-1, CJK, combining, right-to-left, astral).
const CLASSES: &[&[char]] = &[
    &['a', 'Z', 'y', 'n', 'o', 'e', 's', '0', '9'],
    &[
        ':', '#', '-', '?', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`', '~', '=', '<', '.', '/', '\\',
    ],
    &[' ', '\t', '\n', '\r'],
    &[
        '\u{0}', '\u{1}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}',
    ],
    &['\u{7f}', '\u{80}', '\u{85}', '\u{9f}', '\u{a0}'],
    &[
        '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffe}', '\u{ffff}', '\u{fffd}',
    ],
    &[
        'é',
        'ß',
        '中',
        '\u{301}',
        'א',
        '\u{200b}',
        '\u{1f600}',
        '\u{10ffff}',
    ],
];

/// A small deterministic generator, so a failure can be reproduced.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below
    }

    fn string(&mut self) -> String {
        let length = self.next(9);
        (0..length)
            .map(|_| {
                let class = CLASSES[self.next(CLASSES.len())];
                class[self.next(class.len())]
            })
            .collect()
    }
}

fn pyyaml(text: &str) -> serde_json::Value {
    let script = "import sys, json, yaml\nprint(json.dumps(yaml.safe_load(sys.stdin.buffer.read().decode('utf-8'))))";
    let output = common::piped(
        Command::new("python3").args(["-c", script]),
        text.as_bytes(),
        "python3 runs",
    );
    assert!(
        output.status.success(),
        "PyYAML refused cleat's output (is it installed? `pip install pyyaml`, as .ci/run does):\n{}\n--- the output:\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_string_round_trips_as_key_and_value_through_two_parsers() {
    let mut random = Lcg(20261201);
    let mut map = serde_json::Map::new();
    let mut list = Vec::new();
    for _ in 0..600 {
        let (key, value) = (random.string(), random.string());
        list.push(serde_json::Value::String(value.clone()));
        map.insert(key, value.into());
    }
    // The classes one by one, each character alone and in a line.
    for class in CLASSES {
        for &c in *class {
            map.insert(format!("k{c}"), format!("{c}").into());
            map.insert(format!("{c}"), format!("a{c}b\nc{c}\n").into());
        }
    }
    let value = serde_json::json!({"map": map, "list": list});
    let text = cleat::shared::yaml::emit_document(&value);
    let ours = cleat::shared::yaml::parse_document(&cleat::shared::diagnostics::Source::new(
        "output.yaml",
        text.clone(),
    ))
    .unwrap_or_else(|e| panic!("cleat refused its own output: {}\n{text}", e.message))
    .to_json();
    if ours != value {
        for (key, expected) in value["map"].as_object().unwrap() {
            let got = &ours["map"][key];
            assert_eq!(
                got, expected,
                "cleat's parser reads the entry of key {key:?} differently"
            );
        }
        assert_eq!(
            ours["list"], value["list"],
            "cleat's parser reads the list differently"
        );
        panic!("cleat's parser reads the output differently:\n{text}");
    }
    let theirs = pyyaml(&text);
    if theirs != value {
        for (key, expected) in value["map"].as_object().unwrap() {
            let got = &theirs["map"][key];
            assert_eq!(
                got, expected,
                "PyYAML reads the entry of key {key:?} differently"
            );
        }
        panic!("PyYAML reads the output differently:\n{text}");
    }
}
