//! The in-memory [`Backend`]: one map per namespace behind a read-write lock.
//!
//! Every call takes the lock once, so a create, an update and a delete of the same object
//! from different requests never lose a write.

use super::{Backend, Found, NamespaceSnapshot, Object, Snapshot, FORMAT_VERSION};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Objects in memory, gone when the process exits (unless a state file keeps them).
#[derive(Default)]
pub struct Memory {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    namespaces: HashMap<String, Namespace>,
    /// Bytes and count of all live objects, kept as objects come and go.
    bytes: u64,
    count: u64,
}

impl Inner {
    fn account(&mut self, added: Option<&Object>, removed: Option<&Object>) {
        if let Some(object) = added {
            self.bytes += object.size();
            self.count += 1;
        }
        if let Some(object) = removed {
            self.bytes = self.bytes.saturating_sub(object.size());
            self.count = self.count.saturating_sub(1);
        }
    }

    fn recount(&mut self) {
        let objects = self.namespaces.values().flat_map(|ns| ns.objects.values());
        let (mut bytes, mut count) = (0, 0);
        for object in objects {
            bytes += object.size();
            count += 1;
        }
        self.bytes = bytes;
        self.count = count;
    }
}

#[derive(Default)]
struct Namespace {
    /// Live objects by (kind, id).
    objects: HashMap<(String, String), Arc<Object>>,
    /// Deleted objects, as (kind, id).
    deleted: BTreeSet<(String, String)>,
}

impl Memory {
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the maps consistent (each change is
        // one insert or remove), so a poisoned lock is still safe to use.
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn key(kind: &str, id: &str) -> (String, String) {
    (kind.to_string(), id.to_string())
}

impl Backend for Memory {
    fn get(&self, namespace: &str, kind: &str, id: &str) -> Found {
        let inner = self.read();
        let Some(ns) = inner.namespaces.get(namespace) else {
            return Found::Unknown;
        };
        let key = key(kind, id);
        match ns.objects.get(&key) {
            Some(object) => Found::Live(object.clone()),
            None if ns.deleted.contains(&key) => Found::Deleted,
            None => Found::Unknown,
        }
    }

    fn put(&self, namespace: &str, object: Object) {
        let mut inner = self.write();
        let ns = inner.namespaces.entry(namespace.to_string()).or_default();
        let key = key(&object.kind, &object.id);
        ns.deleted.remove(&key);
        let object = Arc::new(object);
        let replaced = ns.objects.insert(key, object.clone());
        inner.account(Some(&object), replaced.as_deref());
    }

    fn update(
        &self,
        namespace: &str,
        kind: &str,
        id: &str,
        change: &mut dyn FnMut(&mut Object),
    ) -> Option<Arc<Object>> {
        let mut inner = self.write();
        let slot = inner
            .namespaces
            .get_mut(namespace)?
            .objects
            .get_mut(&key(kind, id))?;
        let before = slot.clone();
        let mut object = (*before).clone();
        change(&mut object);
        // Identity is not the change's to alter.
        object.kind = kind.to_string();
        object.id = id.to_string();
        let after = Arc::new(object);
        *slot = after.clone();
        inner.account(Some(&after), Some(&before));
        Some(after)
    }

    fn delete(&self, namespace: &str, kind: &str, id: &str) -> Option<Arc<Object>> {
        let mut inner = self.write();
        let ns = inner.namespaces.entry(namespace.to_string()).or_default();
        let key = key(kind, id);
        // Only what existed leaves a tombstone: deleting an id that was never created (as
        // lenient ids allow) must not make it a 404 afterwards.
        let removed = ns.objects.remove(&key);
        if removed.is_some() {
            ns.deleted.insert(key);
        }
        inner.account(None, removed.as_deref());
        removed
    }

    fn tombstone(&self, namespace: &str, kind: &str, id: &str) {
        let mut inner = self.write();
        let ns = inner.namespaces.entry(namespace.to_string()).or_default();
        let key = key(kind, id);
        let removed = ns.objects.remove(&key);
        ns.deleted.insert(key);
        inner.account(None, removed.as_deref());
    }

    fn list(&self, namespace: &str, kind: &str, parent: Option<&str>) -> Vec<Arc<Object>> {
        let inner = self.read();
        let Some(ns) = inner.namespaces.get(namespace) else {
            return Vec::new();
        };
        let mut found: Vec<Arc<Object>> = ns
            .objects
            .values()
            .filter(|o| o.kind == kind && (parent.is_none() || o.parent.as_deref() == parent))
            .cloned()
            .collect();
        found.sort_by_key(|o| o.seq);
        found
    }

    fn clear(&self, namespace: Option<&str>) {
        let mut inner = self.write();
        match namespace {
            Some(name) => {
                inner.namespaces.remove(name);
            }
            None => inner.namespaces.clear(),
        }
        inner.recount();
    }

    fn snapshot(&self) -> Snapshot {
        let inner = self.read();
        let mut out = BTreeMap::new();
        for (name, ns) in inner.namespaces.iter() {
            let mut objects: Vec<Object> = ns.objects.values().map(|o| (**o).clone()).collect();
            objects.sort_by_key(|o| o.seq);
            let deleted = ns
                .deleted
                .iter()
                .map(|(kind, id)| format!("{kind}/{id}"))
                .collect();
            out.insert(name.clone(), NamespaceSnapshot { objects, deleted });
        }
        Snapshot {
            version: FORMAT_VERSION,
            namespaces: out,
        }
    }

    fn restore(&self, snapshot: Snapshot) {
        let mut restored = HashMap::new();
        for (name, saved) in snapshot.namespaces {
            let mut ns = Namespace::default();
            for entry in saved.deleted {
                if let Some((kind, id)) = entry.rsplit_once('/') {
                    ns.deleted.insert(key(kind, id));
                }
            }
            for object in saved.objects {
                ns.objects
                    .insert(key(&object.kind, &object.id), Arc::new(object));
            }
            restored.insert(name, ns);
        }
        let mut inner = self.write();
        inner.namespaces = restored;
        inner.recount();
    }

    fn usage(&self) -> (u64, u64) {
        let inner = self.read();
        (inner.bytes, inner.count)
    }

    fn count_in(&self, namespace: &str) -> u64 {
        self.read()
            .namespaces
            .get(namespace)
            .map_or(0, |ns| ns.objects.len() as u64)
    }
}
