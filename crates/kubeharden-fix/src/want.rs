//! What an object should hold after its fixes: a tree of the fields to set.
//!
//! The planner fills it; the source editor and the patch writer both read it, so a
//! Kustomize patch and an in-place edit make the same change.

use kubeharden_yaml::{FieldPath, Seg};

/// A value to set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Bool(bool),
    Int(i64),
    Str(String),
    /// A list of strings, in full (what the field holds after the fix).
    List(Vec<String>),
}

/// One field of a [`Want`]: a value, or fields below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Leaf(Val),
    Map(Want),
}

/// The fields to set below one node, in the order they were asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Want {
    pub fields: Vec<(Seg, Field)>,
}

impl Want {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Sets `path` (below this node) to `val`, making the maps on the way.
    pub fn set(&mut self, path: &FieldPath, val: Val) {
        let segments = path.segments();
        let Some((last, parents)) = segments.split_last() else {
            return;
        };
        let mut here = self;
        for seg in parents {
            here = here.child(seg);
        }
        match here.fields.iter_mut().find(|(s, _)| s == last) {
            Some((_, field)) => *field = Field::Leaf(val),
            None => here.fields.push((last.clone(), Field::Leaf(val))),
        }
    }

    /// The value already wanted at `path`, if any.
    pub fn get(&self, path: &FieldPath) -> Option<&Val> {
        let mut here = self;
        let segments = path.segments();
        let (last, parents) = segments.split_last()?;
        for seg in parents {
            here = match here.fields.iter().find(|(s, _)| s == seg)? {
                (_, Field::Map(m)) => m,
                _ => return None,
            };
        }
        match here.fields.iter().find(|(s, _)| s == last)? {
            (_, Field::Leaf(v)) => Some(v),
            _ => None,
        }
    }

    fn child(&mut self, seg: &Seg) -> &mut Want {
        let at = match self.fields.iter().position(|(s, _)| s == seg) {
            Some(i) => i,
            None => {
                self.fields.push((seg.clone(), Field::Map(Want::default())));
                self.fields.len() - 1
            }
        };
        if !matches!(self.fields[at].1, Field::Map(_)) {
            self.fields[at].1 = Field::Map(Want::default());
        }
        match &mut self.fields[at].1 {
            Field::Map(m) => m,
            Field::Leaf(_) => unreachable!("made a map above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_builds_the_maps_on_the_way_and_keeps_order() {
        let mut want = Want::default();
        let sc = FieldPath::parse("spec.containers[0].securityContext");
        want.set(&sc.key("runAsNonRoot"), Val::Bool(true));
        want.set(&sc.join("capabilities.drop"), Val::List(vec!["ALL".into()]));
        want.set(&sc.key("runAsNonRoot"), Val::Bool(false));
        assert_eq!(want.get(&sc.key("runAsNonRoot")), Some(&Val::Bool(false)));
        assert_eq!(
            want.get(&sc.join("capabilities.drop")),
            Some(&Val::List(vec!["ALL".into()]))
        );
        let Field::Map(spec) = &want.fields[0].1 else {
            panic!()
        };
        assert_eq!(spec.fields.len(), 1);
    }
}
