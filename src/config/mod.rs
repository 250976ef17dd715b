//! The global section of an `opensips.cfg`-style file: listeners, logging, aliases, the
//! `Server:` header and the transaction timers (`modparam("tm", "T1_timer", …)`).
//!
//! Every error names `file:line:col` and what is wrong, and refuses start-up.

pub mod lexer;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use lexer::{Pos, Tok, Token};

use crate::transport::Proto;

/// A configuration error, with the position it was found at when there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigError {
    /// Where in the file, if the error has a place.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub msg: String,
    /// The file name, filled in by [`load`].
    pub file: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("<config>");
        match self.pos {
            Some(p) => write!(f, "{file}:{}:{}: {}", p.line, p.col, self.msg),
            None => write!(f, "{file}: {}", self.msg),
        }
    }
}

impl ConfigError {
    pub(crate) fn at(pos: Pos, msg: impl Into<String>) -> Self {
        ConfigError {
            pos: Some(pos),
            msg: msg.into(),
            file: None,
        }
    }
}

/// One listening socket: `listen=udp:127.0.0.1:5060` or `socket=tcp:[::1]:5060`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// Transport protocol.
    pub proto: Proto,
    /// Address to bind.
    pub addr: SocketAddr,
}

/// RFC 3261 Table 4 base timers, from `modparam("tm", "T1_timer"|"T2_timer"|"T4_timer", ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// T1, RTT estimate (default 500 ms).
    pub t1: Duration,
    /// T2, the cap on non-INVITE retransmit intervals (default 4 s).
    pub t2: Duration,
    /// T4, how long the network keeps a message (default 5 s).
    pub t4: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// What the global section configures.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Listening sockets; at least one.
    pub listen: Vec<Listen>,
    /// Log level in OpenSIPS numbers (`debug=`/`log_level=`: ≤0 errors … ≥4 debug).
    pub log_level: i32,
    /// Extra host names (and `host:port`) this node answers for (`alias=`).
    pub aliases: Vec<String>,
    /// Value of the `Server:` header on locally generated replies; `None` sends none.
    pub server_header: Option<String>,
    /// Transaction timers.
    pub timers: Timers,
    /// Modules named by `loadmodule` (normalized: no path, no `.so`).
    pub modules: Vec<String>,
    /// `force_rport=yes` (default): answer UDP requests at their source address, as if every
    /// Via carried `rport` (RFC 3581; what NATed phones need). `no`: strict RFC 3261 §18.2.2,
    /// the `received` address and the Via's port.
    pub force_rport: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: Vec::new(),
            log_level: 3,
            aliases: Vec::new(),
            server_header: Some(format!("ferrosips {}", env!("CARGO_PKG_VERSION"))),
            timers: Timers::default(),
            modules: Vec::new(),
            force_rport: true,
        }
    }
}

/// Modules this build implements; `loadmodule` of anything else refuses start-up.
pub const KNOWN_MODULES: &[&str] = &["tm", "sl", "maxfwd", "signaling", "sanity"];

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        pos: None,
        msg: format!("cannot read: {e}"),
        file: Some(name.clone()),
    })?;
    parse(&text).map_err(|mut e| {
        e.file = Some(name);
        e
    })
}

/// Parses a configuration text.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let toks = lexer::tokenize(text)?;
    let mut p = Parser {
        toks: &toks,
        i: 0,
        end: end_pos(text),
    };
    let mut cfg = Config::default();
    let mut port: Option<u16> = None;
    while let Some(t) = p.peek() {
        let pos = t.pos;
        let Tok::Word(word) = &t.tok else {
            return Err(ConfigError::at(pos, "expected a parameter name"));
        };
        let word = word.clone();
        p.i += 1;
        match word.as_str() {
            "loadmodule" => {
                let (m, mpos) = p.string()?;
                let name = module_name(&m);
                if !KNOWN_MODULES.contains(&name.as_str()) {
                    return Err(ConfigError::at(
                        mpos,
                        format!(
                            "unknown module \"{m}\" (this build implements: {})",
                            KNOWN_MODULES.join(", ")
                        ),
                    ));
                }
                cfg.modules.push(name);
            }
            "modparam" => p.modparam(&mut cfg)?,
            "route" | "request_route" | "onreply_route" | "failure_route" | "branch_route"
            | "error_route" | "startup_route" | "timer_route" | "local_route" => {
                return Err(ConfigError::at(
                    pos,
                    format!(
                        "`{word}` blocks need the routing-script engine, which this build \
                         does not have yet; the node answers with its built-in rules"
                    ),
                ));
            }
            _ => {
                p.expect('=')?;
                let (val, vpos) = p.value()?;
                p.global(&mut cfg, &word, &val, pos, vpos, &mut port)?;
            }
        }
        // An optional `;` after any statement.
        if matches!(
            p.peek(),
            Some(Token {
                tok: Tok::Punct(';'),
                ..
            })
        ) {
            p.i += 1;
        }
    }
    if let Some(port) = port {
        for l in cfg.listen.iter_mut() {
            if l.addr.port() == 0 {
                l.addr.set_port(port);
            }
        }
    }
    for l in cfg.listen.iter_mut() {
        if l.addr.port() == 0 {
            l.addr.set_port(5060);
        }
    }
    if cfg.listen.is_empty() {
        return Err(ConfigError::at(
            Pos { line: 1, col: 1 },
            "no listen= (or socket=) line: the node would not listen anywhere",
        ));
    }
    Ok(cfg)
}

fn end_pos(text: &str) -> Pos {
    let line = text.lines().count().max(1) as u32;
    let col = text.lines().last().map(|l| l.chars().count()).unwrap_or(0) as u32 + 1;
    Pos { line, col }
}

/// `"/usr/lib/opensips/modules/tm.so"` → `tm`.
fn module_name(m: &str) -> String {
    let base = m.rsplit('/').next().unwrap_or(m);
    base.strip_suffix(".so").unwrap_or(base).to_string()
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    end: Pos,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn here(&self) -> Pos {
        self.peek().map(|t| t.pos).unwrap_or(self.end)
    }

    fn expect(&mut self, c: char) -> Result<(), ConfigError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Punct(p), ..
            }) if *p == c => {
                self.i += 1;
                Ok(())
            }
            _ => Err(ConfigError::at(self.here(), format!("expected '{c}'"))),
        }
    }

    /// A value: a word or a string.
    fn value(&mut self) -> Result<(String, Pos), ConfigError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w) | Tok::Str(w),
                pos,
            }) => {
                let r = (w.clone(), *pos);
                self.i += 1;
                Ok(r)
            }
            _ => Err(ConfigError::at(self.here(), "expected a value")),
        }
    }

    fn string(&mut self) -> Result<(String, Pos), ConfigError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Str(w),
                pos,
            }) => {
                let r = (w.clone(), *pos);
                self.i += 1;
                Ok(r)
            }
            _ => Err(ConfigError::at(self.here(), "expected a quoted string")),
        }
    }

    fn modparam(&mut self, cfg: &mut Config) -> Result<(), ConfigError> {
        self.expect('(')?;
        let (module, mpos) = self.string()?;
        self.expect(',')?;
        let (param, ppos) = self.string()?;
        self.expect(',')?;
        let (value, vpos) = self.value()?;
        self.expect(')')?;
        let module = module_name(&module);
        if !cfg.modules.contains(&module) {
            return Err(ConfigError::at(
                mpos,
                format!("modparam for module \"{module}\", which no loadmodule loaded"),
            ));
        }
        let ms = |v: &str| -> Result<Duration, ConfigError> {
            v.parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    ConfigError::at(vpos, format!("expected milliseconds > 0, found \"{v}\""))
                })
        };
        match (module.as_str(), param.as_str()) {
            ("tm", "T1_timer" | "timer_t1" | "retr_timer1") => cfg.timers.t1 = ms(&value)?,
            ("tm", "T2_timer" | "timer_t2" | "retr_timer2") => cfg.timers.t2 = ms(&value)?,
            ("tm", "T4_timer" | "timer_t4") => cfg.timers.t4 = ms(&value)?,
            _ => {
                return Err(ConfigError::at(
                    ppos,
                    format!("module \"{module}\" has no parameter \"{param}\""),
                ))
            }
        }
        Ok(())
    }

    fn global(
        &mut self,
        cfg: &mut Config,
        name: &str,
        val: &str,
        pos: Pos,
        vpos: Pos,
        port: &mut Option<u16>,
    ) -> Result<(), ConfigError> {
        let int = |v: &str| -> Result<i64, ConfigError> {
            v.parse::<i64>()
                .map_err(|_| ConfigError::at(vpos, format!("expected a number, found \"{v}\"")))
        };
        let boolean = |v: &str| -> Result<bool, ConfigError> {
            match v.to_ascii_lowercase().as_str() {
                "yes" | "on" | "true" | "1" => Ok(true),
                "no" | "off" | "false" | "0" => Ok(false),
                _ => Err(ConfigError::at(
                    vpos,
                    format!("expected yes/no, found \"{v}\""),
                )),
            }
        };
        match name {
            "listen" | "socket" => {
                let mut ls = parse_listen(val).map_err(|m| ConfigError::at(vpos, m))?;
                // `listen=udp:1.2.3.4:5060 as 5.6.7.8:5060`: the advertised address is read
                // and dropped for now; we advertise what we bind.
                if matches!(self.peek(), Some(Token { tok: Tok::Word(w), .. }) if w == "as") {
                    self.i += 1;
                    self.value()?;
                }
                cfg.listen.append(&mut ls);
            }
            "debug" | "log_level" => cfg.log_level = int(val)? as i32,
            "port" => {
                *port = Some(
                    val.parse()
                        .map_err(|_| ConfigError::at(vpos, format!("bad port \"{val}\"")))?,
                )
            }
            "alias" => cfg.aliases.push(val.to_ascii_lowercase()),
            "server_header" => {
                // OpenSIPS takes the whole header line: "Server: name".
                let v = val
                    .strip_prefix("Server:")
                    .or_else(|| val.strip_prefix("server:"))
                    .unwrap_or(val)
                    .trim();
                cfg.server_header = Some(v.to_string());
            }
            "server_signature" => {
                if !boolean(val)? {
                    cfg.server_header = None;
                }
            }
            // Process model knobs of OpenSIPS: ferrosips has one process with a thread pool
            // sized to the machine, so these are read, checked and have no further effect.
            "children" | "tcp_children" | "udp_workers" | "tcp_workers" => {
                int(val)?;
            }
            "force_rport" => cfg.force_rport = boolean(val)?,
            "mhomed"
            | "log_stderror"
            | "fork"
            | "disable_tcp"
            | "dns"
            | "rev_dns"
            | "check_via"
            | "auto_aliases"
            | "disable_dns_blacklist" => {
                boolean(val)?;
            }
            "mpath" | "log_facility" | "user_agent_header" | "log_name" => {}
            _ => {
                return Err(ConfigError::at(
                    pos,
                    format!("unknown global parameter \"{name}\""),
                ))
            }
        }
        Ok(())
    }
}

/// `udp:127.0.0.1:5060`, `tcp:[::1]:5060`, `127.0.0.1` (UDP and TCP), `udp:host` (port from
/// `port=` or 5060). A port of 0 here means "not given".
pub fn parse_listen(s: &str) -> Result<Vec<Listen>, String> {
    let (protos, rest): (Vec<Proto>, &str) = match s.split_once(':') {
        Some((p, rest)) if p.eq_ignore_ascii_case("udp") => (vec![Proto::Udp], rest),
        Some((p, rest)) if p.eq_ignore_ascii_case("tcp") => (vec![Proto::Tcp], rest),
        Some((p, _)) if p.chars().all(|c| c.is_ascii_alphabetic()) && !p.is_empty() => {
            return Err(format!(
                "unsupported transport \"{p}\" in \"{s}\" (udp and tcp are available)"
            ))
        }
        _ => (vec![Proto::Udp, Proto::Tcp], s),
    };
    let addr = parse_hostport(rest).ok_or_else(|| {
        format!("\"{s}\" is not an address (expected PROTO:IP:PORT, e.g. udp:127.0.0.1:5060)")
    })?;
    Ok(protos
        .into_iter()
        .map(|proto| Listen { proto, addr })
        .collect())
}

fn parse_hostport(s: &str) -> Option<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    let host = s
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(s);
    host.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listeners_timers_and_aliases() {
        let c = parse(
            "debug=4\nlisten=udp:127.0.0.1:5070\nsocket=tcp:[::1]:5071\nlisten=127.0.0.2\n\
             port=5080\nalias=example.com\nloadmodule \"/usr/lib/tm.so\"\n\
             modparam(\"tm\", \"T1_timer\", 250)\nserver_header=\"Server: x\"\n",
        )
        .unwrap();
        assert_eq!(c.log_level, 4);
        assert_eq!(c.listen.len(), 4);
        assert_eq!(c.listen[1].addr, "[::1]:5071".parse().unwrap());
        assert_eq!(c.listen[2].addr, "127.0.0.2:5080".parse().unwrap());
        assert_eq!(c.listen[3].proto, Proto::Tcp);
        assert_eq!(c.timers.t1, Duration::from_millis(250));
        assert_eq!(c.aliases, vec!["example.com".to_string()]);
        assert_eq!(c.server_header.as_deref(), Some("x"));
    }

    #[test]
    fn unknown_global_is_refused_with_position() {
        let e = parse("listen=udp:127.0.0.1:5060\n  frobnicate=1\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos { line: 2, col: 3 }));
        assert!(e.msg.contains("frobnicate"), "{e}");
    }

    #[test]
    fn unknown_module_and_param_are_refused() {
        let e = parse("listen=udp:127.0.0.1:5060\nloadmodule \"nope.so\"").unwrap_err();
        assert!(e.msg.contains("unknown module"), "{e}");
        let e = parse("listen=udp:127.0.0.1\nloadmodule \"tm.so\"\nmodparam(\"tm\",\"x\",1)")
            .unwrap_err();
        assert_eq!(e.pos, Some(Pos { line: 3, col: 15 }));
        let e = parse("listen=udp:127.0.0.1\nmodparam(\"tm\",\"T1_timer\",1)").unwrap_err();
        assert!(e.msg.contains("no loadmodule"), "{e}");
    }

    #[test]
    fn bad_listen_and_missing_listen() {
        let e = parse("listen=sctp:127.0.0.1:5060").unwrap_err();
        assert!(e.msg.contains("sctp"), "{e}");
        let e = parse("debug=1").unwrap_err();
        assert!(e.msg.contains("no listen"), "{e}");
        let e = parse("listen=udp:127.0.0.1:5060\nroute { exit; }").unwrap_err();
        assert_eq!(e.pos, Some(Pos { line: 2, col: 1 }));
    }
}
