fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let settings = dagsafe::settings::Settings::default();
    let (mut total, mut graph, mut cands, mut diags, mut edges, mut n) = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let mut st = vec![std::path::PathBuf::from(&dir)];
    while let Some(d) = st.pop() { for e in std::fs::read_dir(&d).unwrap() { let p = e.unwrap().path(); if p.is_dir() { st.push(p); continue } if !p.extension().is_some_and(|e| e == "py") { continue }
        let Ok(src) = std::fs::read_to_string(&p) else { continue };
        let s = dagsafe::summarize(&src, &settings);
        n += s.graph.edges.len();
        total += postcard::to_stdvec(&s).unwrap().len();
        graph += postcard::to_stdvec(&s.graph).unwrap().len();
        edges += postcard::to_stdvec(&s.graph.edges).unwrap().len();
        cands += postcard::to_stdvec(&s.candidates).unwrap().len();
        diags += postcard::to_stdvec(&s.diagnostics).unwrap().len();
    } }
    println!("edges {n} total {total} graph {graph} edges_bytes {edges} candidates {cands} diagnostics {diags}");
}
