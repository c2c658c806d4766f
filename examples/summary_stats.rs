//! Keeps the summaries of all files given, like phase one does, to measure what they hold.
fn main() {
    let settings = dagsafe::settings::Settings::default();
    let mut summaries = Vec::new();
    for path in std::env::args().skip(1) {
        let source = std::fs::read_to_string(&path).unwrap();
        summaries.push(dagsafe::summarize(&source, &settings));
    }
    let edges: usize = summaries.iter().map(|s| s.graph.edges.len()).sum();
    println!("files {} edges {edges}", summaries.len());
}
