//! Server-Server API building blocks. Today: the server's ed25519 signing keys, which sign
//! every PDU Hearth creates. Key fetching, X-Matrix request authentication, server
//! discovery and the outbound sending queue join here as federation lands; storage they
//! need comes in through small traits the homeserver implements.

pub mod keys;
