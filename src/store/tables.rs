//! The replicated state and its pure `apply`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::command::{Command, Outcome, Subscriber};
use crate::registrar::{rules, Binding};

/// Locations and subscribers. Ordered maps, so a snapshot serializes the same everywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tables {
    /// AoR → bindings.
    pub locations: BTreeMap<String, Vec<Binding>>,
    /// (username, domain) → subscriber.
    pub subscribers: BTreeMap<(String, String), Subscriber>,
}

impl Tables {
    /// Applies one command. Deterministic: no clock, no randomness, no I/O.
    pub fn apply(&mut self, cmd: &Command) -> Outcome {
        match cmd {
            Command::Register(op) => {
                let current = self
                    .locations
                    .get(&op.aor)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                match rules::apply(current, op) {
                    Ok(bindings) => {
                        self.set_bindings(&op.aor, bindings.clone());
                        Outcome::Bindings(bindings)
                    }
                    Err(reject) => Outcome::Rejected(reject),
                }
            }
            Command::PutBinding { aor, binding } => {
                let mut list = self.locations.get(aor).cloned().unwrap_or_default();
                list.retain(|b| b.contact != binding.contact);
                list.push(binding.clone());
                self.set_bindings(aor, list.clone());
                Outcome::Bindings(list)
            }
            Command::RemoveAor { aor } => {
                Outcome::Removed(self.locations.remove(aor).map_or(0, |l| l.len()))
            }
            Command::RemoveContact { aor, contact } => {
                let Some(list) = self.locations.get_mut(aor) else {
                    return Outcome::Removed(0);
                };
                let before = list.len();
                list.retain(|b| b.contact != *contact);
                let removed = before - list.len();
                if list.is_empty() {
                    self.locations.remove(aor);
                }
                Outcome::Removed(removed)
            }
            Command::ExpireBefore { ts } => {
                let mut removed = 0;
                self.locations.retain(|_, list| {
                    let before = list.len();
                    list.retain(|b| b.expires_at > *ts);
                    removed += before - list.len();
                    !list.is_empty()
                });
                Outcome::Removed(removed)
            }
            Command::AddSubscriber(s) => {
                let key = (s.username.clone(), s.domain.clone());
                if self.subscribers.contains_key(&key) {
                    return Outcome::SubscriberExists;
                }
                self.subscribers.insert(key, s.clone());
                Outcome::Done
            }
            Command::RemoveSubscriber { username, domain } => {
                match self.subscribers.remove(&(username.clone(), domain.clone())) {
                    Some(_) => Outcome::Done,
                    None => Outcome::NoSuchSubscriber,
                }
            }
            Command::SetPassword {
                username,
                domain,
                password,
                ha1,
                ha1b,
            } => match self
                .subscribers
                .get_mut(&(username.clone(), domain.clone()))
            {
                Some(s) => {
                    s.password = password.clone();
                    s.ha1 = ha1.clone();
                    s.ha1b = ha1b.clone();
                    Outcome::Done
                }
                None => Outcome::NoSuchSubscriber,
            },
        }
    }

    fn set_bindings(&mut self, aor: &str, list: Vec<Binding>) {
        if list.is_empty() {
            self.locations.remove(aor);
        } else {
            self.locations.insert(aor.to_string(), list);
        }
    }

    /// The live bindings of an AoR at `now` (reads filter expiry locally; removal is the
    /// leader's `ExpireBefore`).
    pub fn lookup(&self, aor: &str, now: u64) -> Vec<&Binding> {
        self.locations
            .get(aor)
            .map(|l| l.iter().filter(|b| b.is_live(now)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registrar::rules::{prepare, ContactIn, Limits, RegisterRequest};

    fn register(
        aor: &str,
        contact: &str,
        expires: u32,
        call_id: &str,
        cseq: u32,
        now: u64,
    ) -> Command {
        let req = RegisterRequest {
            aor: aor.into(),
            call_id: call_id.into(),
            cseq,
            contacts: vec![ContactIn {
                uri: contact.into(),
                expires: Some(expires),
                ..ContactIn::default()
            }],
            ..RegisterRequest::default()
        };
        let lim = Limits {
            min_expires: 0,
            ..Limits::default()
        };
        Command::Register(prepare(&req, &lim, now, 1).unwrap())
    }

    fn sub(u: &str) -> Subscriber {
        Subscriber {
            username: u.into(),
            domain: "d".into(),
            password: Some("pw".into()),
            ha1: None,
            ha1b: None,
        }
    }

    #[test]
    fn register_lookup_remove_expire() {
        let mut t = Tables::default();
        let out = t.apply(&register("sip:a@d", "sip:a@1.1.1.1", 60, "c", 1, 100));
        assert!(matches!(out, Outcome::Bindings(ref b) if b.len() == 1));
        t.apply(&register("sip:a@d", "sip:a@2.2.2.2", 600, "c2", 1, 100));
        assert_eq!(t.lookup("sip:a@d", 150).len(), 2);
        assert_eq!(t.lookup("sip:a@d", 161).len(), 1, "reads filter expiry");
        assert_eq!(
            t.apply(&Command::ExpireBefore { ts: 160 }),
            Outcome::Removed(1)
        );
        assert_eq!(
            t.apply(&Command::RemoveContact {
                aor: "sip:a@d".into(),
                contact: "sip:a@2.2.2.2".into()
            }),
            Outcome::Removed(1)
        );
        assert!(t.locations.is_empty(), "an AoR without bindings is gone");
        // A failed REGISTER changes nothing.
        t.apply(&register("sip:a@d", "sip:a@1.1.1.1", 60, "c", 5, 200));
        let before = t.clone();
        let out = t.apply(&register("sip:a@d", "sip:a@1.1.1.1", 60, "c", 4, 201));
        assert!(matches!(out, Outcome::Rejected(ref r) if r.status == 400));
        assert_eq!(t, before);
    }

    #[test]
    fn subscribers() {
        let mut t = Tables::default();
        assert_eq!(
            t.apply(&Command::AddSubscriber(sub("alice"))),
            Outcome::Done
        );
        assert_eq!(
            t.apply(&Command::AddSubscriber(sub("alice"))),
            Outcome::SubscriberExists
        );
        let pw = Command::SetPassword {
            username: "alice".into(),
            domain: "d".into(),
            password: Some("new".into()),
            ha1: None,
            ha1b: None,
        };
        assert_eq!(t.apply(&pw), Outcome::Done);
        assert_eq!(
            t.subscribers[&("alice".into(), "d".into())]
                .password
                .as_deref(),
            Some("new")
        );
        let rm = Command::RemoveSubscriber {
            username: "bob".into(),
            domain: "d".into(),
        };
        assert_eq!(t.apply(&rm), Outcome::NoSuchSubscriber);
    }

    /// The state machine safety property: replaying the same log from empty gives the same
    /// tables and the same outcomes, whatever the log.
    #[test]
    fn same_log_same_tables() {
        let mut x: u64 = 0x2545F4914F6CDD1D;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut log = Vec::new();
        for i in 0..2000u64 {
            let aor = format!("sip:u{}@d", rnd(20));
            let cmd = match rnd(7) {
                0..=3 => register(
                    &aor,
                    &format!("sip:c{}@h", rnd(3)),
                    rnd(400) as u32,
                    &format!("cid{}", rnd(3)),
                    rnd(10) as u32,
                    1000 + i,
                ),
                4 => Command::ExpireBefore {
                    ts: 1000 + i - rnd(100),
                },
                5 => Command::RemoveContact {
                    aor,
                    contact: format!("sip:c{}@h", rnd(3)),
                },
                _ => Command::AddSubscriber(sub(&format!("u{}", rnd(20)))),
            };
            log.push(cmd);
        }
        let replay = |log: &[Command]| {
            let mut t = Tables::default();
            let outs: Vec<Outcome> = log.iter().map(|c| t.apply(c)).collect();
            (t, outs)
        };
        assert_eq!(replay(&log), replay(&log));
        assert!(!replay(&log).0.locations.is_empty());
    }
}
