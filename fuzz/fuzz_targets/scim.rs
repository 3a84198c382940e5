//! The SCIM source files and a resource to run them on, shared by the
//! SCIM targets.

/// A user as the portal serves it to an IDM.
pub fn user() -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "0190a0b1-0000-7000-8000-000000000001",
        "externalId": "E-1001",
        "userName": "jana.novakova",
        "name": {"givenName": "Jana", "familyName": "Nováková", "formatted": "Jana Nováková"},
        "displayName": "Jana Nováková",
        "active": true,
        "emails": [
            {"value": "jana@brno.example", "type": "work", "primary": true},
            {"value": "jana@home.example", "type": "home"}
        ],
        "phoneNumbers": [{"value": "+420 600 000 001", "type": "work"}],
        "groups": [{"value": "0190a0b1-0000-7000-8000-0000000000g1", "display": "Úředníci"}],
        "meta": {"resourceType": "User", "version": "W/\"3\""}
    })
}

/// A group as the portal serves it.
pub fn group() -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "0190a0b1-0000-7000-8000-0000000000g1",
        "displayName": "Úředníci",
        "members": [{"value": "0190a0b1-0000-7000-8000-000000000001", "display": "Jana Nováková"}],
        "meta": {"resourceType": "Group", "version": "W/\"1\""}
    })
}

/// Splits an input at its first NUL: the text, and a JSON document after
/// it if there is one.
pub fn split(data: &[u8]) -> (&[u8], Option<serde_json::Value>) {
    match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], serde_json::from_slice(&data[at + 1..]).ok()),
        None => (data, None),
    }
}
