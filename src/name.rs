//! Interned names: every identifier, qualified name and written callee that a summary keeps
//! is a [`Name`], four bytes that stand for one copy of the text, shared by every file and
//! thread of the process. A real project repeats the same few thousand names (`airflow.models.
//! Variable`, `datetime.datetime`, its own helpers' names) across hundreds of thousands of
//! edges; as `String`s they were most of phase one's memory and allocations.
//!
//! Interning takes a lock (one of [`SHARDS`], chosen by the text's hash) only to find or add
//! the text; reading a name's text takes none. The texts live as long as the process: a long
//! language-server session keeps every name it has seen (the names of a project and of the
//! edits made to it: kilobytes, not megabytes).

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

use rustc_hash::{FxBuildHasher, FxHashMap};

/// An interned text. Equal names are equal texts; names order by their texts.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Name(u32);

/// Names per block of the id-to-text table.
const BLOCK: usize = 4096;
/// Blocks in the table: room for 2^28 names.
const BLOCKS: usize = 1 << 16;
/// Locks for the text-to-id maps.
const SHARDS: usize = 64;

/// The text of each id, in blocks allocated as ids reach them. Id 0 is the empty text.
static TEXTS: [OnceLock<Box<[OnceLock<&'static str>]>>; BLOCKS] =
    [const { OnceLock::new() }; BLOCKS];

/// One shard of the text-to-id map.
type Shard = Mutex<FxHashMap<&'static str, Name>>;

static IDS: LazyLock<Box<[Shard]>> = LazyLock::new(|| {
    (0..SHARDS)
        .map(|_| Mutex::new(FxHashMap::default()))
        .collect()
});

static NEXT: AtomicU32 = AtomicU32::new(1);

fn slot(id: u32) -> &'static OnceLock<&'static str> {
    let block =
        TEXTS[id as usize / BLOCK].get_or_init(|| (0..BLOCK).map(|_| OnceLock::new()).collect());
    &block[id as usize % BLOCK]
}

fn shard(text: &str) -> &'static Shard {
    &IDS[(FxBuildHasher.hash_one(text) >> 32) as usize % SHARDS]
}

impl Name {
    /// The empty text.
    pub const EMPTY: Name = Name(0);

    /// The name of `text`, interning it on first use.
    pub fn new(text: &str) -> Name {
        if text.is_empty() {
            return Name::EMPTY;
        }
        // A poisoned lock only means another thread panicked while holding it; the map is
        // still whole (an insert either happened or did not).
        let mut ids = shard(text)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&name) = ids.get(text) {
            return name;
        }
        // Past the table's room (2^28 names, far more than memory holds), a new text is the
        // empty name: wrong answers for that input, never a panic.
        let Ok(id) = NEXT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |id| {
            ((id as usize) < BLOCK * BLOCKS).then_some(id + 1)
        }) else {
            return Name::EMPTY;
        };
        let text: &'static str = Box::leak(text.into());
        // Set before the id leaves this function: whoever holds the id sees the text.
        let _ = slot(id).set(text);
        let name = Name(id);
        ids.insert(text, name);
        name
    }

    /// The name of `text` if it has been interned: a text never interned equals no name.
    pub fn existing(text: &str) -> Option<Name> {
        if text.is_empty() {
            return Some(Name::EMPTY);
        }
        shard(text)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(text)
            .copied()
    }

    pub fn as_str(self) -> &'static str {
        if self.0 == 0 {
            return "";
        }
        slot(self.0).get().copied().unwrap_or("")
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Name {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::new(&text)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Name;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Name, E> {
                Ok(Name::new(text))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Name;

    #[test]
    fn equal_texts_are_one_name_across_threads() {
        let names: Vec<Vec<Name>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..10_000)
                            .map(|i| Name::new(&format!("name.test{}", i % 5_000)))
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for thread in &names[1..] {
            assert_eq!(thread, &names[0]);
        }
        for (i, name) in names[0].iter().enumerate() {
            assert_eq!(name.as_str(), format!("name.test{}", i % 5_000));
        }
        assert_ne!(Name::new("name.test1"), Name::new("name.test2"));
    }

    #[test]
    fn the_empty_text_and_unknown_texts() {
        assert_eq!(Name::new(""), Name::EMPTY);
        assert_eq!(Name::default().as_str(), "");
        assert_eq!(Name::existing("name.never interned anywhere"), None);
        let name = Name::new("name.interned");
        assert_eq!(Name::existing("name.interned"), Some(name));
    }

    #[test]
    fn names_order_and_print_as_their_texts() {
        let (b, a) = (Name::new("name.b"), Name::new("name.a"));
        assert!(a < b);
        assert_eq!(format!("{a} {b:?}"), "name.a \"name.b\"");
        let bytes = postcard::to_stdvec(&a).unwrap();
        assert_eq!(bytes, postcard::to_stdvec("name.a").unwrap());
        assert_eq!(postcard::from_bytes::<Name>(&bytes).unwrap(), a);
    }
}
