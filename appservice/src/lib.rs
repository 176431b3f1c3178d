//! Application Service API building blocks. Today: a registration's namespaces, compiled
//! once and matched against user IDs, room aliases and room IDs (exclusive namespaces
//! reserve IDs for the application service). Registration loading, the transaction pusher
//! and its persistent queue join here when application services land.

use regex::Regex;
use ruma::api::appservice::{Namespace, Registration};

#[derive(Debug, thiserror::Error)]
#[error("namespace regex `{regex}` is invalid: {problem}")]
pub struct NamespaceError {
    pub regex: String,
    pub problem: String,
}

/// How an ID relates to an application service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// No namespace matches.
    None,
    /// A shared namespace matches: others may use the ID too.
    Shared,
    /// An exclusive namespace matches: only the application service may use the ID.
    Exclusive,
}

#[derive(Debug, Clone)]
struct Compiled {
    exclusive: bool,
    regex: Regex,
}

/// A registration's namespaces, compiled.
#[derive(Debug, Clone)]
pub struct Namespaces {
    users: Vec<Compiled>,
    aliases: Vec<Compiled>,
    rooms: Vec<Compiled>,
}

fn compile(list: &[Namespace]) -> Result<Vec<Compiled>, NamespaceError> {
    list.iter()
        .map(|ns| {
            // The spec's regexes match the whole ID.
            let anchored = format!("^(?:{})$", ns.regex);
            Regex::new(&anchored)
                .map(|regex| Compiled {
                    exclusive: ns.exclusive,
                    regex,
                })
                .map_err(|e| NamespaceError {
                    regex: ns.regex.clone(),
                    problem: e.to_string(),
                })
        })
        .collect()
}

fn claim(list: &[Compiled], id: &str) -> Claim {
    let mut result = Claim::None;
    for ns in list.iter().filter(|ns| ns.regex.is_match(id)) {
        if ns.exclusive {
            return Claim::Exclusive;
        }
        result = Claim::Shared;
    }
    result
}

impl Namespaces {
    pub fn new(registration: &Registration) -> Result<Self, NamespaceError> {
        let ns = &registration.namespaces;
        Ok(Self {
            users: compile(&ns.users)?,
            aliases: compile(&ns.aliases)?,
            rooms: compile(&ns.rooms)?,
        })
    }

    pub fn user(&self, user_id: &str) -> Claim {
        claim(&self.users, user_id)
    }

    pub fn alias(&self, alias: &str) -> Claim {
        claim(&self.aliases, alias)
    }

    pub fn room(&self, room_id: &str) -> Claim {
        claim(&self.rooms, room_id)
    }
}

#[cfg(test)]
mod tests {
    use ruma::api::appservice::{Namespace, Namespaces as RumaNamespaces, RegistrationInit};

    use super::*;

    fn registration(users: Vec<Namespace>) -> Registration {
        let mut namespaces = RumaNamespaces::new();
        namespaces.users = users;
        RegistrationInit {
            id: "bridge".into(),
            url: Some("http://127.0.0.1:9000".into()),
            as_token: "as".into(),
            hs_token: "hs".into(),
            sender_localpart: "_bridge".into(),
            namespaces,
            rate_limited: None,
            protocols: None,
        }
        .into()
    }

    #[test]
    fn exclusive_wins_and_matches_are_anchored() {
        let reg = registration(vec![
            Namespace::new(false, "@irc_.*:hs1".into()),
            Namespace::new(true, "@irc_admin:hs1".into()),
        ]);
        let ns = Namespaces::new(&reg).unwrap();
        assert_eq!(ns.user("@irc_bob:hs1"), Claim::Shared);
        assert_eq!(ns.user("@irc_admin:hs1"), Claim::Exclusive);
        assert_eq!(ns.user("@alice:hs1"), Claim::None);
        assert_eq!(
            ns.user("@xirc_bob:hs1"),
            Claim::None,
            "anchored at the start"
        );
        assert_eq!(
            ns.user("@irc_bob:hs1.evil"),
            Claim::None,
            "anchored at the end"
        );
        assert_eq!(ns.room("!a:hs1"), Claim::None);
        assert_eq!(ns.alias("#a:hs1"), Claim::None);
    }

    #[test]
    fn invalid_regexes_are_reported() {
        let err = Namespaces::new(&registration(vec![Namespace::new(
            true,
            "@(unclosed".into(),
        )]))
        .unwrap_err();
        assert_eq!(err.regex, "@(unclosed");
    }
}
