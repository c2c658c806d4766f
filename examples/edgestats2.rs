use dagsafe::semantic::{Target, Value, EdgeKind, Exec};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let settings = dagsafe::settings::Settings::default();
    let mut to = std::collections::HashMap::<String, usize>::new();
    let mut kinds = std::collections::HashMap::<String, usize>::new();
    let mut st = vec![std::path::PathBuf::from(&dir)];
    while let Some(d) = st.pop() { for e in std::fs::read_dir(&d).unwrap() { let p = e.unwrap().path(); if p.is_dir() { st.push(p); continue } if !p.extension().is_some_and(|e| e == "py") { continue }
        let Ok(src) = std::fs::read_to_string(&p) else { continue };
        let s = dagsafe::summarize(&src, &settings);
        for e in &s.graph.edges {
            let lam = matches!(e.from, Exec::Function(id) if s.graph.functions[id].name == "<lambda>");
            if lam { *kinds.entry("from-lambda".into()).or_default() += 1; }
            if let (EdgeKind::Passed(t), Target::Handed{value, ..}) = (&e.kind, &e.target) {
                *to.entry(t.to_string()).or_default() += 1;
                let k = match value { Value::Import(_) => "import", Value::Function(_) => "function", Value::Attribute(..) => "attr", Value::Returned(..) => "returned", Value::Class(_) => "class", _ => "other" };
                *kinds.entry(format!("passed-{k}")).or_default() += 1;
            }
        }
    } }
    let mut v: Vec<_> = to.into_iter().collect(); v.sort_by_key(|x| std::cmp::Reverse(x.1));
    println!("{:?}", &v[..25.min(v.len())]);
    println!("{kinds:?}");
}
