use dagsafe::semantic::{Target, Value, EdgeKind};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let settings = dagsafe::settings::Settings::default();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let mut files = 0; let mut funcs = 0; let mut exports = 0; let mut attrs = 0; let mut rets = 0;
    for entry in walk(std::path::Path::new(&dir)) {
        let Ok(src) = std::fs::read_to_string(&entry) else { continue };
        files += 1;
        let s = dagsafe::summarize(&src, &settings);
        funcs += s.graph.functions.len();
        exports += s.graph.exports.len();
        rets += s.graph.functions.iter().map(|f| f.returns.len()).sum::<usize>();
        attrs += s.graph.classes.iter().map(|c| c.attributes.len()).sum::<usize>();
        for e in &s.graph.edges {
            let k = match (&e.kind, &e.target) {
                (EdgeKind::Import, _) => "import".to_string(),
                (EdgeKind::Passed(_), _) => "passed".to_string(),
                (EdgeKind::Read, _) => "read".to_string(),
                (_, Target::Call(Value::Import(_))) => "call-import".to_string(),
                (_, Target::Call(Value::Function(_))) => "call-func".to_string(),
                (_, Target::Call(Value::Class(_))) => "call-class".to_string(),
                (_, Target::Call(Value::Attribute(..))) => "call-attr".to_string(),
                (_, Target::Call(Value::Returned(..))) => "call-returned".to_string(),
                (k, _) => format!("{k:?}-other"),
            };
            *counts.entry(k).or_default() += 1;
        }
    }
    println!("files {files} functions {funcs} exports {exports} attrs {attrs} returns {rets}");
    println!("{counts:?}");
    println!("sizeof Edge {} Value {} Target {} Function {}", std::mem::size_of::<dagsafe::semantic::Edge>(), std::mem::size_of::<Value>(), std::mem::size_of::<Target>(), std::mem::size_of::<dagsafe::semantic::Function>());
}
fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![]; let mut st = vec![p.to_path_buf()];
    while let Some(d) = st.pop() { for e in std::fs::read_dir(&d).unwrap() { let p = e.unwrap().path(); if p.is_dir() { st.push(p) } else if p.extension().is_some_and(|e| e == "py") { out.push(p) } } }
    out
}
