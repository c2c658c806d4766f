//! How deep dagsafe goes. Python refuses more than 200 nested brackets ("too many nested
//! parentheses"), 100 levels of indentation, 150 nested f-strings, and fails to compile
//! expressions a few thousand levels deep (RecursionError, MemoryError), so Airflow cannot
//! import such files either; dagsafe reports them as DS001 instead of spending unbounded
//! stack or memory on them.
//!
//! [`nesting_overflow`] finds them with a token scan before the parser sees the file: the
//! parser's memory grows much faster than the file with nesting (a 10 MB chain of unary
//! minuses took 10 GB), and the scan's own memory is bounded by the limits it enforces.

use ruff_text_size::TextSize;

/// The Python version whose syntax dagsafe accepts: the newest Airflow supports (3.9 to
/// 3.13), so that nothing valid there (PEP 701 f-strings, `type` statements, `except*`) is
/// a DS001; newer syntax (t-strings, 3.14's unparenthesized `except A, B:`) is.
pub const PYTHON_VERSION: ruff_python_ast::PythonVersion = ruff_python_ast::PythonVersion::PY313;

/// CPython's limit on nested brackets (`(`, `[`, `{`, and the `{` of an f-string's
/// replacement field): the 201st is "too many nested parentheses".
pub const MAX_BRACKET_DEPTH: usize = 200;

/// How many levels a file may indent: CPython's tokenizer refuses the 100th indented
/// level ("too many levels of indentation").
pub const MAX_INDENT_DEPTH: usize = 99;

/// How deeply f-strings (and t-strings) may nest inside each other's replacement fields:
/// CPython 3.12 and later refuse the 150th ("too many nested f-strings").
pub const MAX_FSTRING_DEPTH: usize = 149;

/// How deep one expression may nest, counting brackets and the operators that nest to
/// the right (`-`, `+`, `~`, `not`, `await`, `**`, `lambda`, `x if c else`): CPython 3.11
/// and 3.12 give up on a chain of about 3,000 unary minuses, `not`s, `**`s, lambdas or
/// conditional expressions (RecursionError or "too complex"); 3.9 and 3.13 accept up to
/// about 6,000 unary minuses, but no version more than about 3,000 `**`s or lambdas.
pub const MAX_EXPRESSION_DEPTH: usize = 3_000;

/// How many `elif` clauses one `if` statement may have: CPython's compiler nests each in
/// the previous one and gives up past about 3,000 (RecursionError) in 3.9 to 3.12 (3.13
/// at about 6,000).
pub const MAX_ELIF_CHAIN: usize = 3_000;

/// How deep the checker walks a tree (CPython's compiler gives up between 1,000 and 3,000).
pub const MAX_TREE_DEPTH: usize = 3_000;

/// Which limit a file exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Brackets,
    Indentation,
    FStrings,
    Expression,
}

impl Limit {
    /// What the DS001 says, after "cannot check this file: ".
    pub fn describe(self) -> String {
        match self {
            Limit::Brackets => format!(
                "more than {MAX_BRACKET_DEPTH} nested brackets (Python stops at {MAX_BRACKET_DEPTH}: \"too many nested parentheses\")"
            ),
            Limit::Indentation => format!(
                "more than {MAX_INDENT_DEPTH} levels of indentation (Python stops at {MAX_INDENT_DEPTH}: \"too many levels of indentation\")"
            ),
            Limit::FStrings => format!(
                "more than {MAX_FSTRING_DEPTH} nested f-strings (Python stops at {MAX_FSTRING_DEPTH}: \"too many nested f-strings\")"
            ),
            Limit::Expression => format!(
                "an expression nested more than {MAX_EXPRESSION_DEPTH} levels deep (brackets and chained operators such as `- - -`, `not not`, `**`, `lambda: lambda:`, `if`/`else`; Python gives up at about {MAX_EXPRESSION_DEPTH}: RecursionError)"
            ),
        }
    }
}

/// Where a file first goes past one of the limits above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    pub limit: Limit,
    pub at: TextSize,
}

/// Where the file first goes past [`MAX_BRACKET_DEPTH`], [`MAX_INDENT_DEPTH`],
/// [`MAX_FSTRING_DEPTH`] or [`MAX_EXPRESSION_DEPTH`]. A linear scan of Python's tokens
/// (strings with any prefix, f-strings and t-strings as Python 3.12 reads them — nested,
/// reusing quotes, with format specs and `{{`/`}}` — comments, line continuations), which
/// tracks operator precedence just enough to tell how deep a parser would nest: `-a - -b`
/// is two levels, `- - - a` three. Its own memory is bounded by the limits.
pub fn nesting_overflow(source: &str) -> Option<Overflow> {
    let mut scan = Scan::new(source.as_bytes());
    match scan.run() {
        Ok(()) => None,
        Err((limit, at)) => Some(Overflow {
            limit,
            at: TextSize::try_from(at).unwrap_or_default(),
        }),
    }
}

/// Operator precedences, lowest first; an operator waits on a level's stack until its right
/// operand is complete.
mod prec {
    pub const LAMBDA: u8 = 1;
    pub const ELSE: u8 = 2;
    pub const OR: u8 = 3;
    pub const AND: u8 = 4;
    pub const NOT: u8 = 5;
    pub const COMPARE: u8 = 6;
    pub const BIT_OR: u8 = 7;
    pub const BIT_XOR: u8 = 8;
    pub const BIT_AND: u8 = 9;
    pub const SHIFT: u8 = 10;
    pub const ADD: u8 = 11;
    pub const MUL: u8 = 12;
    pub const UNARY: u8 = 13;
    pub const POWER: u8 = 14;
    pub const AWAIT: u8 = 15;
}

/// A quoted f-string (or t-string) being scanned.
#[derive(Clone, Copy, Debug)]
struct FString {
    quote: u8,
    triple: bool,
    raw: bool,
}

/// What the scanner is reading.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Python code: the file, or an f-string's replacement field (whose bracket level is
    /// the innermost [`Level`] with `field` set).
    Code,
    /// The literal text of an f-string.
    Literal(FString),
    /// The format spec of a replacement field (after its `:`), inside `FString`.
    Spec(FString),
}

/// One bracket level: the operators waiting for their right operand at this level.
#[derive(Debug, Default)]
struct Level {
    /// An f-string replacement field's `{`, rather than a bracket.
    field: bool,
    ops: Vec<u8>,
    /// For each `lambda` whose `:` has not come yet, the stack height when it started.
    lambdas: Vec<usize>,
}

type Found = Result<(), (Limit, usize)>;

struct Scan<'a> {
    bytes: &'a [u8],
    i: usize,
    levels: Vec<Level>,
    modes: Vec<Mode>,
    /// Operators waiting on every level together.
    ops: usize,
    fstrings: usize,
    /// The next token would start an operand (so `-` is unary, `not` is not `not in`).
    expecting: bool,
    at_line_start: bool,
    indents: Vec<usize>,
}

impl<'a> Scan<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Scan {
            bytes,
            i: 0,
            levels: vec![Level::default()],
            modes: vec![Mode::Code],
            ops: 0,
            fstrings: 0,
            expecting: true,
            at_line_start: true,
            indents: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.i + ahead).copied()
    }

    fn level(&mut self) -> &mut Level {
        self.levels
            .last_mut()
            .expect("the file's own level is never popped")
    }

    fn run(&mut self) -> Found {
        while self.i < self.bytes.len() {
            match *self.modes.last().expect("the file's mode is never popped") {
                Mode::Code => self.code()?,
                Mode::Literal(f) => self.literal(f)?,
                Mode::Spec(f) => self.spec(f)?,
            }
        }
        Ok(())
    }

    // ---- operators -----------------------------------------------------------------------

    fn push(&mut self, prec: u8, at: usize) -> Found {
        self.level().ops.push(prec);
        self.ops += 1;
        if self.levels.len() - 1 + self.ops > MAX_EXPRESSION_DEPTH {
            return Err((Limit::Expression, at));
        }
        Ok(())
    }

    /// Pops the operators whose right operand an operator of `prec` completes.
    fn pop_while(&mut self, done: impl Fn(u8) -> bool) {
        let level = self.levels.last_mut().expect("the file's own level");
        let floor = level.lambdas.last().copied().unwrap_or(0);
        while level.ops.len() > floor && level.ops.last().is_some_and(|&p| done(p)) {
            level.ops.pop();
            self.ops -= 1;
        }
    }

    fn truncate(&mut self, height: usize) {
        let level = self.levels.last_mut().expect("the file's own level");
        if level.ops.len() > height {
            self.ops -= level.ops.len() - height;
            level.ops.truncate(height);
        }
    }

    /// A token that ends every expression on this level (`,`, `=`, a keyword that starts
    /// a statement) — except the parameters of a `lambda` waiting for its `:`.
    fn reset(&mut self) {
        let floor = self.level().lambdas.last().copied().unwrap_or(0);
        self.truncate(floor);
        self.expecting = true;
    }

    fn binary(&mut self, prec: u8, at: usize) -> Found {
        self.pop_while(|p| p >= prec);
        self.expecting = true;
        self.push(prec, at)
    }

    fn prefix(&mut self, prec: u8, at: usize) -> Found {
        self.expecting = true;
        self.push(prec, at)
    }

    // ---- code ----------------------------------------------------------------------------

    fn code(&mut self) -> Found {
        if self.at_line_start && self.levels.len() == 1 {
            self.indentation()?;
            if self.i >= self.bytes.len() {
                return Ok(());
            }
        }
        let at = self.i;
        let byte = self.bytes[at];
        match byte {
            b' ' | b'\t' | b'\x0c' => self.i += 1,
            b'\n' | b'\r' => {
                self.i += 1;
                if self.levels.len() == 1 {
                    // A logical line ends: every expression on it is complete.
                    let level = self.level();
                    level.lambdas.clear();
                    self.truncate(0);
                    self.expecting = true;
                    self.at_line_start = true;
                }
            }
            b'#' => {
                while self.i < self.bytes.len() && !matches!(self.bytes[self.i], b'\n' | b'\r') {
                    self.i += 1;
                }
            }
            b'\\' => {
                // A line continuation (or a stray backslash).
                self.i += 1;
                if self.peek(0) == Some(b'\r') {
                    self.i += 1;
                }
                if self.peek(0) == Some(b'\n') {
                    self.i += 1;
                }
            }
            b'"' | b'\'' => self.string(false, false)?,
            b'0'..=b'9' => self.number(),
            b'.' if self.peek(1).is_some_and(|b| b.is_ascii_digit()) => self.number(),
            b'(' | b'[' | b'{' => {
                self.i += 1;
                self.open(false, at)?;
            }
            b')' | b']' | b'}' => {
                self.i += 1;
                self.close(byte);
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | 0x80..=0xFF => self.word(at)?,
            _ => self.operator(at)?,
        }
        Ok(())
    }

    /// Measures a logical line's indentation, as CPython's tokenizer does.
    fn indentation(&mut self) -> Found {
        self.at_line_start = false;
        let line_start = self.i;
        let mut width = 0;
        while let Some(b) = self.peek(0) {
            match b {
                b' ' => width += 1,
                b'\t' => width = (width / 8 + 1) * 8,
                b'\x0c' => width = 0,
                _ => break,
            }
            self.i += 1;
        }
        if matches!(self.peek(0), None | Some(b'#' | b'\n' | b'\r' | b'\\')) {
            // A blank line, a comment line or a continued one: no indentation of its own.
            return Ok(());
        }
        let current = self.indents.last().copied().unwrap_or(0);
        if width > current {
            self.indents.push(width);
            if self.indents.len() > MAX_INDENT_DEPTH {
                // At the start of the line, as CPython.
                return Err((Limit::Indentation, line_start));
            }
        } else {
            while self.indents.last().is_some_and(|&w| w > width) {
                self.indents.pop();
            }
        }
        Ok(())
    }

    fn open(&mut self, field: bool, at: usize) -> Found {
        self.levels.push(Level {
            field,
            ..Level::default()
        });
        self.expecting = true;
        if self.levels.len() - 1 > MAX_BRACKET_DEPTH {
            return Err((Limit::Brackets, at));
        }
        if self.levels.len() - 1 + self.ops > MAX_EXPRESSION_DEPTH {
            return Err((Limit::Expression, at));
        }
        Ok(())
    }

    fn close(&mut self, byte: u8) {
        let Some(level) = self.levels.last() else {
            return;
        };
        if self.levels.len() == 1 || (level.field && byte != b'}') {
            // Unbalanced: the parser reports it.
            return;
        }
        let level = self.levels.pop().expect("checked above");
        self.ops -= level.ops.len();
        self.expecting = false;
        if level.field {
            // The end of a replacement field: back to the f-string's text.
            self.modes.pop();
        }
    }

    fn number(&mut self) {
        let start = self.i;
        let hex = self.bytes[start] == b'0' && matches!(self.peek(1), Some(b'x' | b'X'));
        while let Some(b) = self.peek(0) {
            let exponent_sign =
                matches!(b, b'+' | b'-') && !hex && matches!(self.bytes[self.i - 1], b'e' | b'E');
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                self.i += 1;
            } else {
                break;
            }
        }
        self.expecting = false;
    }

    fn word(&mut self, at: usize) -> Found {
        while self
            .peek(0)
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
        {
            self.i += 1;
        }
        let word = &self.bytes[at..self.i];
        if matches!(self.peek(0), Some(b'"' | b'\''))
            && let Some((interpolated, raw)) = string_prefix(word)
        {
            return self.string(interpolated, raw);
        }
        // Keywords are short: compared as one integer, not byte by byte (this runs for
        // every name in every file).
        let word = if (2..=8).contains(&word.len()) && word.iter().all(u8::is_ascii_lowercase) {
            pack(word)
        } else {
            0
        };
        match word {
            kw::AND => self.binary(prec::AND, at)?,
            kw::OR => self.binary(prec::OR, at)?,
            kw::NOT if self.expecting => self.prefix(prec::NOT, at)?,
            // `not in`: the `in` follows.
            kw::NOT => self.binary(prec::COMPARE, at)?,
            kw::IN if self.expecting => {}
            kw::IN | kw::IS => self.binary(prec::COMPARE, at)?,
            kw::AWAIT => self.prefix(prec::AWAIT, at)?,
            kw::IF => {
                self.pop_while(|p| p > prec::ELSE);
                self.expecting = true;
            }
            kw::ELSE => {
                self.pop_while(|p| p > prec::ELSE);
                self.prefix(prec::ELSE, at)?;
            }
            kw::LAMBDA => {
                let height = self.level().ops.len();
                self.level().lambdas.push(height);
                self.expecting = true;
            }
            kw::FOR
            | kw::ASYNC
            | kw::RETURN
            | kw::YIELD
            | kw::DEL
            | kw::ASSERT
            | kw::RAISE
            | kw::IMPORT
            | kw::FROM
            | kw::AS
            | kw::WITH
            | kw::WHILE
            | kw::ELIF
            | kw::GLOBAL
            | kw::NONLOCAL
            | kw::CLASS
            | kw::DEF
            | kw::TRY
            | kw::EXCEPT
            | kw::FINALLY
            | kw::PASS
            | kw::BREAK
            | kw::CONTINUE => self.reset(),
            _ => self.expecting = false,
        }
        Ok(())
    }

    fn operator(&mut self, at: usize) -> Found {
        let rest = &self.bytes[at..];
        let op = operator_at(rest);
        self.i += op.len();
        let in_field = self.levels.last().is_some_and(|l| l.field);
        match op {
            b"..." => self.expecting = false,
            b"." => self.expecting = true,
            b"~" => self.prefix(prec::UNARY, at)?,
            b"+" | b"-" if self.expecting => self.prefix(prec::UNARY, at)?,
            b"+" | b"-" => self.binary(prec::ADD, at)?,
            // `*args`, `**kwargs`: unpacking, not an operator.
            b"*" | b"**" if self.expecting => {}
            b"**" => {
                self.pop_while(|p| p > prec::POWER);
                self.expecting = true;
                self.push(prec::POWER, at)?;
            }
            // A decorator.
            b"@" if self.expecting => {}
            b"*" | b"/" | b"//" | b"%" | b"@" => self.binary(prec::MUL, at)?,
            b"<<" | b">>" => self.binary(prec::SHIFT, at)?,
            b"&" => self.binary(prec::BIT_AND, at)?,
            b"^" => self.binary(prec::BIT_XOR, at)?,
            b"|" => self.binary(prec::BIT_OR, at)?,
            b"<" | b">" | b"<=" | b">=" | b"==" | b"!=" => self.binary(prec::COMPARE, at)?,
            b":" if in_field => {
                // The format spec of a replacement field.
                let Some(Mode::Code) = self.modes.last() else {
                    return Ok(());
                };
                if let Some(f) = self.owning_fstring() {
                    *self.modes.last_mut().expect("checked above") = Mode::Spec(f);
                }
            }
            b":" if !self.level().lambdas.is_empty() => {
                let height = self.level().lambdas.pop().expect("checked above");
                self.truncate(height);
                self.prefix(prec::LAMBDA, at)?;
            }
            // `!r`: a conversion.
            b"!" => self.expecting = false,
            _ => self.reset(),
        }
        Ok(())
    }

    /// The f-string whose replacement field the scan is in.
    fn owning_fstring(&self) -> Option<FString> {
        self.modes.iter().rev().find_map(|mode| match mode {
            Mode::Literal(f) | Mode::Spec(f) => Some(*f),
            Mode::Code => None,
        })
    }

    // ---- strings -------------------------------------------------------------------------

    /// A string, from its opening quote at `self.i`.
    fn string(&mut self, interpolated: bool, raw: bool) -> Found {
        let quote = self.bytes[self.i];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.i += if triple { 3 } else { 1 };
        if interpolated {
            self.fstrings += 1;
            if self.fstrings > MAX_FSTRING_DEPTH {
                // At the opening quote, as CPython.
                return Err((Limit::FStrings, self.i - if triple { 3 } else { 1 }));
            }
            self.modes
                .push(Mode::Literal(FString { quote, triple, raw }));
            return Ok(());
        }
        while let Some(b) = self.peek(0) {
            if matches!(b, b'\n' | b'\r') && !triple {
                // Unterminated: the parser reports it.
                break;
            }
            self.i += 1;
            match b {
                b'\\' => self.i += 1,
                b if b == quote && self.closes(quote, triple) => break,
                _ => {}
            }
        }
        self.expecting = false;
        Ok(())
    }

    /// Whether the quote just consumed closes a string (consuming the rest of a triple).
    fn closes(&mut self, quote: u8, triple: bool) -> bool {
        if !triple {
            return true;
        }
        if self.peek(0) == Some(quote) && self.peek(1) == Some(quote) {
            self.i += 2;
            return true;
        }
        false
    }

    /// The end of an f-string: back to the code around it.
    fn end_fstring(&mut self) {
        self.modes.pop();
        self.fstrings -= 1;
        self.expecting = false;
    }

    fn literal(&mut self, f: FString) -> Found {
        let at = self.i;
        let b = self.bytes[at];
        self.i += 1;
        match b {
            b'\\' if !f.raw && self.peek(0) == Some(b'N') && self.peek(1) == Some(b'{') => {
                // `\N{NAME}`: not a replacement field.
                while self
                    .peek(0)
                    .is_some_and(|b| b != b'}' && b != f.quote && b != b'\n')
                {
                    self.i += 1;
                }
                if self.peek(0) == Some(b'}') {
                    self.i += 1;
                }
            }
            b'\\' => self.i += 1,
            b'{' if self.peek(0) == Some(b'{') => self.i += 1,
            b'}' if self.peek(0) == Some(b'}') => self.i += 1,
            b'{' => {
                self.modes.push(Mode::Code);
                self.open(true, at)?;
            }
            b'\n' | b'\r' if !f.triple => {
                // Unterminated: the parser reports it; the newline ends the line.
                self.i -= 1;
                self.end_fstring();
            }
            b if b == f.quote && self.closes(f.quote, f.triple) => self.end_fstring(),
            _ => {}
        }
        Ok(())
    }

    fn spec(&mut self, f: FString) -> Found {
        let at = self.i;
        let b = self.bytes[at];
        self.i += 1;
        match b {
            b'\\' => self.i += 1,
            b'{' => {
                self.modes.push(Mode::Code);
                self.open(true, at)?;
            }
            b'}' => {
                // The end of the spec and of its replacement field.
                *self.modes.last_mut().expect("in a spec") = Mode::Code;
                self.close(b'}');
            }
            b'\n' | b'\r' if !f.triple => {
                self.i -= 1;
                self.abandon_field();
            }
            b if b == f.quote && self.closes(f.quote, f.triple) => {
                self.abandon_field();
                self.end_fstring();
            }
            _ => {}
        }
        Ok(())
    }

    /// An unterminated format spec: drop its replacement field (the parser reports it).
    fn abandon_field(&mut self) {
        *self.modes.last_mut().expect("in a spec") = Mode::Code;
        self.close(b'}');
    }
}

/// Whether `word` is a string prefix, and if so whether it makes an f-string or t-string and
/// whether it is raw.
/// A word of 2 to 8 bytes as one integer (little-endian, zero-padded).
const fn pack(word: &[u8]) -> u64 {
    let mut packed = 0u64;
    let mut i = 0;
    while i < word.len() {
        packed |= (word[i] as u64) << (8 * i);
        i += 1;
    }
    packed
}

/// The keywords the scan acts on, [`pack`]ed.
mod kw {
    use super::pack;
    pub const AND: u64 = pack(b"and");
    pub const OR: u64 = pack(b"or");
    pub const NOT: u64 = pack(b"not");
    pub const IN: u64 = pack(b"in");
    pub const IS: u64 = pack(b"is");
    pub const AWAIT: u64 = pack(b"await");
    pub const IF: u64 = pack(b"if");
    pub const ELSE: u64 = pack(b"else");
    pub const LAMBDA: u64 = pack(b"lambda");
    pub const FOR: u64 = pack(b"for");
    pub const ASYNC: u64 = pack(b"async");
    pub const RETURN: u64 = pack(b"return");
    pub const YIELD: u64 = pack(b"yield");
    pub const DEL: u64 = pack(b"del");
    pub const ASSERT: u64 = pack(b"assert");
    pub const RAISE: u64 = pack(b"raise");
    pub const IMPORT: u64 = pack(b"import");
    pub const FROM: u64 = pack(b"from");
    pub const AS: u64 = pack(b"as");
    pub const WITH: u64 = pack(b"with");
    pub const WHILE: u64 = pack(b"while");
    pub const ELIF: u64 = pack(b"elif");
    pub const GLOBAL: u64 = pack(b"global");
    pub const NONLOCAL: u64 = pack(b"nonlocal");
    pub const CLASS: u64 = pack(b"class");
    pub const DEF: u64 = pack(b"def");
    pub const TRY: u64 = pack(b"try");
    pub const EXCEPT: u64 = pack(b"except");
    pub const FINALLY: u64 = pack(b"finally");
    pub const PASS: u64 = pack(b"pass");
    pub const BREAK: u64 = pack(b"break");
    pub const CONTINUE: u64 = pack(b"continue");
}

/// The operator or delimiter `rest` starts with: the longest of Python's, else one byte.
/// By its first bytes, not a search through the list (this runs for every operator).
fn operator_at(rest: &[u8]) -> &[u8] {
    let second = rest.get(1).copied();
    let len = match (rest[0], second, rest.get(2).copied()) {
        (b'*', Some(b'*'), Some(b'='))
        | (b'/', Some(b'/'), Some(b'='))
        | (b'>', Some(b'>'), Some(b'='))
        | (b'<', Some(b'<'), Some(b'='))
        | (b'.', Some(b'.'), Some(b'.')) => 3,
        (b'*', Some(b'*'), _)
        | (b'/', Some(b'/'), _)
        | (b'>', Some(b'>' | b'='), _)
        | (b'<', Some(b'<' | b'='), _)
        | (b'=' | b'!' | b':', Some(b'='), _)
        | (b'-', Some(b'>'), _)
        | (b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^', Some(b'='), _) => 2,
        _ => 1,
    };
    &rest[..len]
}

fn string_prefix(word: &[u8]) -> Option<(bool, bool)> {
    let lower: Vec<u8> = word.iter().map(u8::to_ascii_lowercase).collect();
    let (interpolated, raw) = match lower.as_slice() {
        b"r" => (false, true),
        b"u" | b"b" => (false, false),
        b"br" | b"rb" => (false, true),
        b"f" | b"t" => (true, false),
        b"fr" | b"rf" | b"tr" | b"rt" => (true, true),
        _ => return None,
    };
    Some((interpolated, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overflow(source: &str) -> Option<(Limit, usize)> {
        nesting_overflow(source).map(|o| (o.limit, o.at.to_usize()))
    }

    #[test]
    fn operators_are_found_by_their_first_bytes_as_by_the_longest_match() {
        const OPERATORS: [&[u8]; 47] = [
            b"**=", b"//=", b">>=", b"<<=", b"...", b"**", b"//", b">>", b"<<", b"<=", b">=",
            b"==", b"!=", b"->", b":=", b"+=", b"-=", b"*=", b"/=", b"%=", b"@=", b"&=", b"|=",
            b"^=", b"+", b"-", b"*", b"/", b"%", b"@", b"&", b"|", b"^", b"~", b"<", b">", b"=",
            b":", b";", b",", b".", b"!", b"$", b"?", b"`", b"\0", b"\x7f",
        ];
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        let bytes: Vec<u8> = b"*/<>=!:.-+%@&|^~;,$?`\0\x7fa ".to_vec();
        for &a in &bytes {
            for &b in &bytes {
                for &c in &bytes {
                    inputs.push(vec![a, b, c]);
                }
                inputs.push(vec![a, b]);
            }
            inputs.push(vec![a]);
        }
        for input in inputs {
            let longest = OPERATORS
                .iter()
                .find(|op| input.starts_with(op))
                .copied()
                .unwrap_or(&input[..1]);
            assert_eq!(operator_at(&input), longest, "{input:?}");
        }
    }

    #[test]
    fn keywords_pack_apart() {
        let all = [
            kw::AND,
            kw::OR,
            kw::NOT,
            kw::IN,
            kw::IS,
            kw::AWAIT,
            kw::IF,
            kw::ELSE,
            kw::LAMBDA,
            kw::FOR,
            kw::ASYNC,
            kw::RETURN,
            kw::YIELD,
            kw::DEL,
            kw::ASSERT,
            kw::RAISE,
            kw::IMPORT,
            kw::FROM,
            kw::AS,
            kw::WITH,
            kw::WHILE,
            kw::ELIF,
            kw::GLOBAL,
            kw::NONLOCAL,
            kw::CLASS,
            kw::DEF,
            kw::TRY,
            kw::EXCEPT,
            kw::FINALLY,
            kw::PASS,
            kw::BREAK,
            kw::CONTINUE,
        ];
        let distinct: std::collections::HashSet<u64> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len());
        assert_eq!(pack(b"and"), u64::from_le_bytes(*b"and\0\0\0\0\0"));
    }

    #[test]
    fn brackets_past_pythons_limit_are_found_outside_strings_and_comments() {
        let ok = format!("x = {}1{}\n", "(".repeat(200), ")".repeat(200));
        assert_eq!(overflow(&ok), None);
        let deep = format!("x = {}1{}\n", "(".repeat(201), ")".repeat(201));
        assert_eq!(overflow(&deep), Some((Limit::Brackets, 204)));
        let in_strings = format!(
            "x = '{}' + \"\"\"{}\"\"\"  # {}\n",
            "(".repeat(300),
            "[".repeat(300),
            "{".repeat(300)
        );
        assert_eq!(overflow(&in_strings), None);
        let escaped = format!("x = '\\'{}'\n", "(".repeat(300));
        assert_eq!(overflow(&escaped), None);
        let raw = format!(
            "x = r'\\'{}' + Rb\"{}\"\n",
            "(".repeat(300),
            "[".repeat(300)
        );
        assert_eq!(overflow(&raw), None);
    }

    #[test]
    fn f_strings_are_read_as_python_3_12_does() {
        // Brackets in a string inside a replacement field are text.
        let inner = format!("x = f\"{{ \"{}\" }}\"\n", "(".repeat(250));
        assert_eq!(overflow(&inner), None);
        // A replacement field's `{` counts, as in CPython: 199 brackets in one is the limit.
        let field = |n: usize| format!("x = f'{{{}1{}}}'\n", "(".repeat(n), ")".repeat(n));
        assert_eq!(overflow(&field(199)), None);
        assert_eq!(overflow(&field(200)), Some((Limit::Brackets, 206)));
        // A quote reused inside a replacement field does not end the f-string.
        let hidden = format!("x = {}{}\n", "(f\"{\")\"}\"".repeat(201), ")".repeat(201));
        assert_eq!(overflow(&hidden), Some((Limit::Brackets, 4 + 199 * 9 + 3)));
        // Escaped braces, `\N{...}` and format specs are text.
        let text = format!(
            "x = f'{{{{{}}}}}' + f'\\N{{BULLET}}{}' + f'{{x:{{w}}>{}}}' + rf'\\N{{x}}'\n",
            "(".repeat(300),
            "(".repeat(300),
            "(".repeat(300)
        );
        assert_eq!(overflow(&text), None);
        // Triple-quoted, any prefix case, t-strings.
        let mixed = format!(
            "x = Rf'''{{a}}\n{}''' + T\"{{b!r:>10}}\" + fR\"\"\"{{'''{}'''}}\"\"\"\n",
            "[".repeat(300),
            "(".repeat(300)
        );
        assert_eq!(overflow(&mixed), None);
        let nested = |n: usize| format!("x = {}1{}\n", "f\"{".repeat(n), "}\"".repeat(n));
        assert_eq!(overflow(&nested(149)), None);
        assert_eq!(
            overflow(&nested(150)),
            Some((Limit::FStrings, 4 + 149 * 3 + 1))
        );
    }

    #[test]
    fn right_nesting_operator_chains_are_bounded() {
        let n = MAX_EXPRESSION_DEPTH;
        for (unit, tail) in [
            ("-", "1"),
            ("- ", "1"),
            ("~", "1"),
            ("not ", "x"),
            ("2**", "2"),
            ("lambda: ", "1"),
            ("lambda x, y=-1: ", "1"),
            ("1 if y else ", "1"),
            ("await ", "x"),
        ] {
            let ok = format!("x = {}{tail}\n", unit.repeat(n));
            assert_eq!(overflow(&ok), None, "{unit:?}");
            let deep = format!("x = {}{tail}\n", unit.repeat(n + 1));
            // Somewhere in the unit that goes past the limit.
            let (limit, at) = overflow(&deep).unwrap_or_else(|| panic!("{unit:?}"));
            assert_eq!(limit, Limit::Expression, "{unit:?}");
            assert!(
                (4 + n * unit.len()..4 + (n + 1) * unit.len()).contains(&at),
                "{unit:?} {at}"
            );
        }
        // Brackets count too.
        let mixed = format!(
            "x = {}1{}\n",
            "- - - - - - - - - - - - - - - - - - - -(".repeat(150),
            ")".repeat(150)
        );
        assert_eq!(overflow(&mixed).map(|(l, _)| l), Some(Limit::Expression));
    }

    #[test]
    fn long_flat_code_is_not_deep() {
        let terms = [
            "-a",
            "-a - -b",
            "not a and not b",
            "a ** -b * c",
            "a if b else c",
            "lambda: -x",
            "a is not -b",
            "a not in b",
            "x[-1:-2]",
            "f(-x, *y, **z)",
            "{k: -v}",
            "1e-5 - 0x1e-1",
            "await -x",
            "f'{-x!r:>{-w}}'",
        ];
        for term in terms {
            let long = format!("x = ({})\n", vec![term; 5_000].join(", "));
            assert_eq!(overflow(&long), None, "{term:?}");
            let lines = format!("x = {term}\n").repeat(5_000);
            assert_eq!(overflow(&lines), None, "{term:?}");
        }
        let chain = format!("x = {}\n", vec!["-a"; 100_000].join(" + "));
        assert_eq!(overflow(&chain), None);
        let power = format!("x = {}\n", vec!["-a ** b"; 100_000].join(" * "));
        assert_eq!(overflow(&power), None);
        let ternaries = format!("x = {}\n", vec!["(a if b else c)"; 100_000].join(" or "));
        assert_eq!(overflow(&ternaries), None);
    }

    #[test]
    fn indentation_past_pythons_limit_is_found() {
        let nested = |n: usize| {
            let mut text: String = (0..n)
                .map(|i| format!("{}if x:\n", " ".repeat(i)))
                .collect();
            text.push_str(&format!("{}pass\n", " ".repeat(n)));
            text
        };
        assert_eq!(overflow(&nested(MAX_INDENT_DEPTH)), None);
        let deep = nested(MAX_INDENT_DEPTH + 1);
        let last_line = deep
            .rfind('\n')
            .and_then(|end| deep[..end].rfind('\n'))
            .unwrap()
            + 1;
        assert_eq!(overflow(&deep), Some((Limit::Indentation, last_line)));
        // Lines inside brackets, strings, comments and blank lines do not indent.
        let flat = format!(
            "x = (\n{}1)\ny = '''\n{}'''\n{}# c\n\nz = 1\n",
            (0..200)
                .map(|i| format!("{}1,\n", " ".repeat(i)))
                .collect::<String>(),
            (0..200)
                .map(|i| format!("{}a\n", " ".repeat(i)))
                .collect::<String>(),
            " ".repeat(500)
        );
        assert_eq!(overflow(&flat), None);
    }
}
