//! RFC 3261 §10.3, the registrar's steps, as two pure functions of their inputs and `now`.

use super::binding::{Binding, Flow};

/// What the registrar needs from a REGISTER (filled by the shell from the parsed message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterRequest {
    /// The address-of-record: the To URI, canonical (`sip:user@domain`), §10.3 step 5.
    pub aor: String,
    /// Call-ID.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// The Expires header, if any.
    pub expires_header: Option<u32>,
    /// `Contact: *`.
    pub star: bool,
    /// The Contact header values.
    pub contacts: Vec<ContactIn>,
    /// Path header values (RFC 3327).
    pub path: Vec<String>,
    /// Where the REGISTER came from.
    pub flow: Option<Flow>,
    /// User-Agent.
    pub user_agent: Option<String>,
}

/// One Contact of a REGISTER.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactIn {
    /// The URI.
    pub uri: String,
    /// The `expires` parameter.
    pub expires: Option<u32>,
    /// The `q` parameter × 1000.
    pub q: Option<u16>,
    /// `+sip.instance` (RFC 5626).
    pub instance: Option<String>,
    /// `reg-id` (RFC 5626).
    pub reg_id: Option<u32>,
}

/// Registrar settings (the OpenSIPS registrar module's parameters of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Expiry when the REGISTER names none (`default_expires`, 3600).
    pub default_expires: u32,
    /// Shorter non-zero requests get 423 (`min_expires`, 60).
    pub min_expires: u32,
    /// Longer requests are cut to this (`max_expires`; 0 = no limit).
    pub max_expires: u32,
    /// Most bindings per AoR (`max_contacts`; 0 = no limit).
    pub max_contacts: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_expires: 3600,
            min_expires: 60,
            max_expires: 0,
            max_contacts: 0,
        }
    }
}

/// One contact as the store applies it: expiry already absolute (0 = remove).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactOp {
    /// The URI.
    pub uri: String,
    /// Absolute expiry, Unix seconds; 0 removes the binding.
    pub expires_at: u64,
    /// q × 1000.
    pub q: u16,
    /// `+sip.instance`.
    pub instance: Option<String>,
    /// `reg-id`.
    pub reg_id: Option<u32>,
}

/// A checked REGISTER, ready to be ordered by the replicated log and applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegisterOp {
    /// Address-of-record.
    pub aor: String,
    /// Call-ID.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// The receiving node's clock when the REGISTER arrived: `apply` uses this, never its own
    /// clock, so every replica computes the same bindings.
    pub now: u64,
    /// `Contact: *` with Expires 0: remove everything.
    pub star: bool,
    /// Contacts to add, refresh or remove.
    pub contacts: Vec<ContactOp>,
    /// Path (RFC 3327).
    pub path: Vec<String>,
    /// Source flow.
    pub flow: Option<Flow>,
    /// User-Agent.
    pub user_agent: Option<String>,
    /// Receiving node.
    pub ingress_node: u64,
    /// `max_contacts` in force on the receiving node (0 = none).
    pub max_contacts: u32,
}

/// Why a REGISTER fails: the status, reason and an extra header to send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reject {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// One extra header (`Min-Expires`, `P-Registrar-Error`).
    pub header: Option<(String, String)>,
}

impl Reject {
    /// 400 with a `P-Registrar-Error` naming the defect (Kamailio's and OpenSIPS's habit).
    fn bad(why: &str) -> Reject {
        Reject {
            status: 400,
            reason: "Bad Request".into(),
            header: Some(("P-Registrar-Error".into(), why.into())),
        }
    }
}

/// The checks that need no stored state (§10.3 steps 6 and the 423 of step 7), and the
/// absolute expiry of every contact.
pub fn prepare(
    req: &RegisterRequest,
    limits: &Limits,
    now: u64,
    ingress_node: u64,
) -> Result<RegisterOp, Reject> {
    // §10.3 step 6: "*" only alone and only with Expires: 0.
    if req.star {
        if !req.contacts.is_empty() {
            return Err(Reject::bad("* used in contact and more than 1 contact"));
        }
        if req.expires_header != Some(0) {
            return Err(Reject::bad("* used in contact and expires is not zero"));
        }
    }
    let mut contacts = Vec::with_capacity(req.contacts.len());
    for c in &req.contacts {
        // §10.2.1.1: the contact's parameter wins over the header, then the default.
        let mut e = c
            .expires
            .or(req.expires_header)
            .unwrap_or(limits.default_expires);
        if e != 0 && e < limits.min_expires {
            // §10.3 step 7 / §21.4.17: too brief.
            return Err(Reject {
                status: 423,
                reason: "Interval Too Brief".into(),
                header: Some(("Min-Expires".into(), limits.min_expires.to_string())),
            });
        }
        if limits.max_expires > 0 && e > limits.max_expires {
            e = limits.max_expires;
        }
        contacts.push(ContactOp {
            uri: c.uri.clone(),
            expires_at: if e == 0 { 0 } else { now + u64::from(e) },
            q: c.q.unwrap_or(1000).min(1000),
            instance: c.instance.clone(),
            reg_id: c.reg_id,
        });
    }
    Ok(RegisterOp {
        aor: req.aor.clone(),
        call_id: req.call_id.clone(),
        cseq: req.cseq,
        now,
        star: req.star,
        contacts,
        path: req.path.clone(),
        flow: req.flow.clone(),
        user_agent: req.user_agent.clone(),
        ingress_node,
        max_contacts: limits.max_contacts,
    })
}

/// §10.3 steps 6–8 against the AoR's current bindings: the bindings after the REGISTER, or
/// why it fails (then nothing changes). Expired bindings are dropped on the way, by `op.now`.
pub fn apply(current: &[Binding], op: &RegisterOp) -> Result<Vec<Binding>, Reject> {
    let mut out: Vec<Binding> = current
        .iter()
        .filter(|b| b.is_live(op.now))
        .cloned()
        .collect();
    let out_of_order = |b: &Binding| b.call_id == op.call_id && op.cseq <= b.cseq;
    if op.star {
        // Step 6: remove all, unless one was refreshed by this Call-ID with a CSeq this
        // one does not exceed.
        if out.iter().any(out_of_order) {
            return Err(Reject::bad("Out of order request"));
        }
        return Ok(Vec::new());
    }
    for c in &op.contacts {
        let found = out.iter().position(|b| same_binding(b, c));
        match found {
            Some(i) => {
                // Step 7: same Call-ID needs a higher CSeq, else the whole update fails.
                if out_of_order(&out[i]) {
                    return Err(Reject::bad("Out of order request"));
                }
                if c.expires_at == 0 {
                    out.remove(i);
                } else {
                    let b = &mut out[i];
                    b.contact = c.uri.clone();
                    b.expires_at = c.expires_at;
                    b.q = c.q;
                    b.call_id = op.call_id.clone();
                    b.cseq = op.cseq;
                    b.path = op.path.clone();
                    b.instance = c.instance.clone();
                    b.reg_id = c.reg_id;
                    b.flow = op.flow.clone();
                    b.user_agent = op.user_agent.clone();
                    b.ingress_node = op.ingress_node;
                }
            }
            None if c.expires_at != 0 => out.push(Binding {
                contact: c.uri.clone(),
                expires_at: c.expires_at,
                q: c.q,
                call_id: op.call_id.clone(),
                cseq: op.cseq,
                path: op.path.clone(),
                instance: c.instance.clone(),
                reg_id: c.reg_id,
                flow: op.flow.clone(),
                user_agent: op.user_agent.clone(),
                ingress_node: op.ingress_node,
                registered_at: op.now,
            }),
            None => {}
        }
    }
    if op.max_contacts > 0 && out.len() > op.max_contacts as usize {
        return Err(Reject {
            status: 503,
            reason: "Service Unavailable".into(),
            header: Some((
                "P-Registrar-Error".into(),
                "Too many registered contacts".into(),
            )),
        });
    }
    Ok(out)
}

/// Whether a contact updates an existing binding: RFC 5626 §6 matches by instance and reg-id
/// (a phone's new flow replaces its old one even from a new address); otherwise §10.3 step 7
/// compares the contact URIs (§19.1.4, simplified: the user part exactly, the rest
/// case-insensitively).
fn same_binding(b: &Binding, c: &ContactOp) -> bool {
    match (&c.instance, &b.instance) {
        (Some(ci), Some(bi)) => ci == bi && c.reg_id == b.reg_id,
        _ => uri_eq(&b.contact, &c.uri),
    }
}

fn uri_eq(a: &str, b: &str) -> bool {
    let (sa, ua, ra) = uri_parts(a);
    let (sb, ub, rb) = uri_parts(b);
    sa.eq_ignore_ascii_case(sb) && ua == ub && ra.eq_ignore_ascii_case(rb)
}

/// `scheme:user@rest` → (scheme, user, rest); the user part is empty when there is none.
fn uri_parts(u: &str) -> (&str, &str, &str) {
    let (scheme, rest) = u.split_once(':').unwrap_or(("", u));
    match rest.rsplit_once('@') {
        Some((user, host)) => (scheme, user, host),
        None => (scheme, "", rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_000_000;

    fn req(
        contacts: &[(&str, Option<u32>)],
        expires: Option<u32>,
        call_id: &str,
        cseq: u32,
    ) -> RegisterRequest {
        RegisterRequest {
            aor: "sip:alice@example.com".into(),
            call_id: call_id.into(),
            cseq,
            expires_header: expires,
            star: false,
            contacts: contacts
                .iter()
                .map(|(u, e)| ContactIn {
                    uri: u.to_string(),
                    expires: *e,
                    ..ContactIn::default()
                })
                .collect(),
            ..RegisterRequest::default()
        }
    }

    fn run(cur: &[Binding], r: &RegisterRequest, now: u64) -> Result<Vec<Binding>, Reject> {
        let op = prepare(r, &Limits::default(), now, 1)?;
        apply(cur, &op)
    }

    /// RFC 3261 §10.2.1.1: contact parameter over header over default.
    #[test]
    fn expiry_precedence() {
        let b = run(
            &[],
            &req(
                &[("sip:a@1.2.3.4", Some(120)), ("sip:b@1.2.3.4", None)],
                Some(300),
                "c",
                1,
            ),
            NOW,
        )
        .unwrap();
        assert_eq!(b[0].remaining(NOW), 120);
        assert_eq!(b[1].remaining(NOW), 300);
        let b = run(&[], &req(&[("sip:a@1.2.3.4", None)], None, "c", 1), NOW).unwrap();
        assert_eq!(b[0].remaining(NOW), 3600);
    }

    /// §10.3 step 7: 423 with Min-Expires; max_expires clamps.
    #[test]
    fn too_brief_and_too_long() {
        let e = run(&[], &req(&[("sip:a@h", Some(30))], None, "c", 1), NOW).unwrap_err();
        assert_eq!(e.status, 423);
        assert_eq!(e.header, Some(("Min-Expires".into(), "60".into())));
        let lim = Limits {
            max_expires: 600,
            ..Limits::default()
        };
        let op = prepare(&req(&[("sip:a@h", Some(7200))], None, "c", 1), &lim, NOW, 1).unwrap();
        assert_eq!(op.contacts[0].expires_at, NOW + 600);
    }

    /// §10.3 step 6: star rules.
    #[test]
    fn star() {
        let cur = run(
            &[],
            &req(&[("sip:a@h", None), ("sip:b@h", None)], None, "c", 1),
            NOW,
        )
        .unwrap();
        let mut r = req(&[], Some(0), "c", 2);
        r.star = true;
        assert_eq!(run(&cur, &r, NOW).unwrap(), vec![]);
        // Same Call-ID, CSeq not higher: the removal fails as a whole.
        r.cseq = 1;
        assert_eq!(run(&cur, &r, NOW).unwrap_err().status, 400);
        // Another Call-ID removes regardless.
        r.call_id = "other".into();
        assert!(run(&cur, &r, NOW).unwrap().is_empty());
        // Star with a non-zero Expires, or with other contacts: 400.
        let mut r = req(&[], Some(10), "c", 3);
        r.star = true;
        assert_eq!(run(&cur, &r, NOW).unwrap_err().status, 400);
        let mut r = req(&[("sip:x@h", None)], Some(0), "c", 3);
        r.star = true;
        assert_eq!(run(&cur, &r, NOW).unwrap_err().status, 400);
    }

    /// §10.3 step 7: refresh, removal with expires=0, CSeq ordering per Call-ID.
    #[test]
    fn refresh_remove_and_cseq_order() {
        let cur = run(&[], &req(&[("sip:a@h", None)], None, "c", 5), NOW).unwrap();
        let later = run(
            &cur,
            &req(&[("sip:a@H", Some(100))], None, "c", 6),
            NOW + 10,
        )
        .unwrap();
        assert_eq!(later.len(), 1, "host compares case-insensitively");
        assert_eq!(later[0].remaining(NOW + 10), 100);
        assert_eq!(later[0].registered_at, NOW);
        let e = run(&later, &req(&[("sip:a@h", None)], None, "c", 6), NOW + 20).unwrap_err();
        assert_eq!(e.header.unwrap().1, "Out of order request");
        // A new Call-ID may use any CSeq.
        assert!(run(&later, &req(&[("sip:a@h", None)], None, "new", 1), NOW + 20).is_ok());
        let gone = run(
            &later,
            &req(&[("sip:a@h", Some(0))], None, "c", 7),
            NOW + 20,
        )
        .unwrap();
        assert!(gone.is_empty());
        // Removing a binding that does not exist changes nothing.
        assert!(run(&[], &req(&[("sip:z@h", Some(0))], None, "c", 1), NOW)
            .unwrap()
            .is_empty());
        // The user part is case-sensitive (§19.1.4).
        let two = run(&cur, &req(&[("sip:A@h", None)], None, "d", 1), NOW).unwrap();
        assert_eq!(two.len(), 2);
    }

    /// Expired bindings vanish by the op's clock, not the replica's.
    #[test]
    fn expired_bindings_are_dropped() {
        let cur = run(&[], &req(&[("sip:a@h", Some(60))], None, "c", 1), NOW).unwrap();
        let after = run(&cur, &req(&[("sip:b@h", None)], None, "d", 1), NOW + 61).unwrap();
        assert_eq!(
            after.iter().map(|b| b.contact.as_str()).collect::<Vec<_>>(),
            ["sip:b@h"]
        );
    }

    /// RFC 5626 §6: the same instance and reg-id replace the old flow's binding.
    #[test]
    fn outbound_instance_replaces() {
        let mut r = req(&[("sip:a@10.0.0.1:5060", None)], None, "c", 1);
        r.contacts[0].instance = Some("<urn:uuid:1>".into());
        r.contacts[0].reg_id = Some(1);
        let cur = run(&[], &r, NOW).unwrap();
        let mut r2 = req(&[("sip:a@10.0.0.9:6000", None)], None, "c2", 1);
        r2.contacts[0].instance = Some("<urn:uuid:1>".into());
        r2.contacts[0].reg_id = Some(1);
        let after = run(&cur, &r2, NOW).unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].contact, "sip:a@10.0.0.9:6000");
    }

    /// max_contacts: 503 with P-Registrar-Error, as OpenSIPS answers.
    #[test]
    fn max_contacts() {
        let lim = Limits {
            max_contacts: 1,
            ..Limits::default()
        };
        let op = prepare(
            &req(&[("sip:a@h", None), ("sip:b@h", None)], None, "c", 1),
            &lim,
            NOW,
            1,
        )
        .unwrap();
        let e = apply(&[], &op).unwrap_err();
        assert_eq!(e.status, 503);
        assert_eq!(e.header.unwrap().1, "Too many registered contacts");
    }

    /// The same inputs give the same bindings: apply is deterministic.
    #[test]
    fn deterministic() {
        let r = req(&[("sip:a@h", None), ("sip:b@h", Some(90))], None, "c", 1);
        let op = prepare(&r, &Limits::default(), NOW, 2).unwrap();
        assert_eq!(apply(&[], &op), apply(&[], &op));
    }
}
