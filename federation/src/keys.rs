//! The server's signing key: generation, (de)serialisation, JSON signing and checking.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
use ruma::{
    CanonicalJsonObject,
    room_version_rules::RedactionRules,
    serde::Base64,
    signatures::{
        Ed25519KeyPair, KeyPair, PublicKeyMap, hash_and_sign_event, sign_json, verify_json,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid signing key: {0}")]
    Parse(String),
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("signature check failed: {0}")]
    Verify(String),
}

/// An ed25519 key pair and its version (the part after `ed25519:` in the key ID).
pub struct SigningKey {
    pair: Ed25519KeyPair,
    /// Kept to persist the key; wiped from memory on drop.
    document: zeroize::Zeroizing<Vec<u8>>,
}

impl SigningKey {
    /// A new random key with a random version.
    pub fn generate() -> Result<Self, KeyError> {
        let document = Ed25519KeyPair::generate();
        let version: String = {
            let bytes: [u8; 6] = rand::random();
            bytes.iter().map(|b| char::from(b'a' + b % 26)).collect()
        };
        Self::from_pkcs8(&document, &version)
    }

    /// Loads a key from its PKCS#8 DER document (as stored by [`Self::pkcs8`]).
    pub fn from_pkcs8(document: &[u8], version: &str) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_der(document, version.to_owned())
            .map_err(|e| KeyError::Parse(e.to_string()))?;
        Ok(Self {
            pair,
            document: zeroize::Zeroizing::new(document.to_vec()),
        })
    }

    /// The PKCS#8 DER document, for storage. Secret: never log or serve it.
    pub fn pkcs8(&self) -> &[u8] {
        &self.document
    }

    pub fn version(&self) -> &str {
        self.pair.version()
    }

    /// `ed25519:<version>`, as it appears in `signatures` and in `/_matrix/key/v2/server`.
    pub fn key_id(&self) -> String {
        format!("ed25519:{}", self.pair.version())
    }

    /// The public key in unpadded standard base64, as the key server publishes it.
    pub fn public_key_base64(&self) -> String {
        STANDARD_NO_PAD.encode(self.pair.public_key())
    }

    /// Adds this server's signature to `object` (its `signatures` and `unsigned` are left out
    /// of what is signed, as the spec requires).
    pub fn sign_json(
        &self,
        server_name: &str,
        object: &mut CanonicalJsonObject,
    ) -> Result<(), KeyError> {
        sign_json(server_name, &self.pair, object).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Adds the content hash and this server's signature to a PDU, as the room version's
    /// redaction rules require (the signature covers the redacted form).
    pub fn hash_and_sign_event(
        &self,
        server_name: &str,
        pdu: &mut CanonicalJsonObject,
        rules: &RedactionRules,
    ) -> Result<(), KeyError> {
        hash_and_sign_event(server_name, &self.pair, pdu, rules)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Raw signature over bytes (used for X-Matrix request authentication).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_bytes().to_vec()
    }

    /// The public-key map entry for this key, for checking our own signatures.
    pub fn public_key_map(&self, server_name: &str) -> PublicKeyMap {
        let key = Base64::new(self.pair.public_key().to_vec());
        let keys = BTreeMap::from([(self.key_id(), key)]);
        BTreeMap::from([(server_name.to_owned(), keys)])
    }
}

/// Checks that every entity named in `object.signatures` signed it with a key in `keys`.
pub fn verify_signed_json(
    keys: &PublicKeyMap,
    object: &CanonicalJsonObject,
) -> Result<(), KeyError> {
    verify_json(keys, object).map_err(|e| KeyError::Verify(e.to_string()))
}

#[cfg(test)]
mod tests {
    use ruma::CanonicalJsonValue;

    use super::*;

    fn object() -> CanonicalJsonObject {
        let value: CanonicalJsonValue =
            serde_json::from_str(r#"{"a":1,"b":"two","unsigned":{"age":5}}"#).unwrap();
        match value {
            CanonicalJsonValue::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn signs_and_verifies_and_survives_a_round_trip() {
        let key = SigningKey::generate().unwrap();
        assert!(key.key_id().starts_with("ed25519:"));
        assert_eq!(key.public_key_base64().len(), 43);
        let mut signed = object();
        key.sign_json("hs1", &mut signed).unwrap();
        verify_signed_json(&key.public_key_map("hs1"), &signed).unwrap();

        let reloaded = SigningKey::from_pkcs8(key.pkcs8(), key.version()).unwrap();
        assert_eq!(reloaded.public_key_base64(), key.public_key_base64());
        verify_signed_json(&reloaded.public_key_map("hs1"), &signed).unwrap();
    }

    #[test]
    fn tampering_and_other_keys_fail() {
        let key = SigningKey::generate().unwrap();
        let mut signed = object();
        key.sign_json("hs1", &mut signed).unwrap();
        let mut tampered = signed.clone();
        tampered.insert("a".into(), CanonicalJsonValue::Integer(2.into()));
        assert!(verify_signed_json(&key.public_key_map("hs1"), &tampered).is_err());
        // `unsigned` is not covered by the signature.
        let mut unsigned_changed = signed.clone();
        unsigned_changed.insert(
            "unsigned".into(),
            CanonicalJsonValue::Object(Default::default()),
        );
        verify_signed_json(&key.public_key_map("hs1"), &unsigned_changed).unwrap();
        let other = SigningKey::generate().unwrap();
        assert!(verify_signed_json(&other.public_key_map("hs1"), &signed).is_err());
        assert!(SigningKey::from_pkcs8(b"garbage", "x").is_err());
    }
}
