//! What Portico's SCIM service understands, described once: the resource
//! types, their attributes and characteristics. `/Schemas`,
//! `/ResourceTypes` and `/ServiceProviderConfig` are generated from it,
//! and so are attribute-name lookups and case rules of filters.

use serde_json::{Value, json};

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub(crate) const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// The most resources one list response holds.
pub(crate) const MAX_RESULTS: usize = 200;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    String,
    Boolean,
    Complex,
    Reference,
}

/// One attribute and its characteristics (RFC 7643 §2.2, §7).
pub(crate) struct Attr {
    pub(crate) name: &'static str,
    pub(crate) kind: Type,
    pub(crate) multi: bool,
    pub(crate) required: bool,
    pub(crate) case_exact: bool,
    pub(crate) mutability: &'static str,
    pub(crate) description: &'static str,
    pub(crate) canonical: &'static [&'static str],
    pub(crate) reference_types: &'static [&'static str],
    pub(crate) subs: &'static [Attr],
}

const fn text(name: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind: Type::String,
        multi: false,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        description,
        canonical: &[],
        reference_types: &[],
        subs: &[],
    }
}

const fn read_only(a: Attr) -> Attr {
    Attr {
        mutability: "readOnly",
        ..a
    }
}

const fn immutable(a: Attr) -> Attr {
    Attr {
        mutability: "immutable",
        ..a
    }
}

const fn reference(
    name: &'static str,
    types: &'static [&'static str],
    description: &'static str,
) -> Attr {
    Attr {
        kind: Type::Reference,
        case_exact: true,
        reference_types: types,
        ..text(name, description)
    }
}

pub(crate) const USER_ATTRS: &[Attr] = &[
    Attr {
        required: true,
        ..text(
            "userName",
            "The name the user logs in with; unique. Staff logging in through the IDM are matched by it.",
        )
    },
    Attr {
        kind: Type::Complex,
        subs: &[
            text("givenName", "Given name."),
            text("familyName", "Family name."),
        ],
        ..text("name", "The user's name.")
    },
    text("displayName", "The name shown in the portal."),
    Attr {
        kind: Type::Complex,
        multi: true,
        subs: &[
            Attr {
                required: true,
                ..text("value", "The address.")
            },
            Attr {
                canonical: &["work", "home", "other"],
                ..text("type", "What kind of address it is.")
            },
            Attr {
                kind: Type::Boolean,
                ..text("primary", "The address notifications go to; at most one.")
            },
        ],
        ..text("emails", "E-mail addresses.")
    },
    Attr {
        kind: Type::Boolean,
        required: true,
        ..text(
            "active",
            "Whether the account may log in. Required: false ends the user's sessions at once.",
        )
    },
    read_only(Attr {
        kind: Type::Complex,
        multi: true,
        subs: &[
            read_only(Attr {
                case_exact: true,
                ..text("value", "The group's id.")
            }),
            read_only(reference("$ref", &["Group"], "The group's URI.")),
            read_only(text("display", "The group's name.")),
        ],
        ..text("groups", "The groups the user is a member of.")
    }),
];

pub(crate) const GROUP_ATTRS: &[Attr] = &[
    Attr {
        required: true,
        ..text("displayName", "The group's name; unique.")
    },
    Attr {
        kind: Type::Complex,
        multi: true,
        subs: &[
            immutable(Attr {
                case_exact: true,
                required: true,
                ..text("value", "The member's id.")
            }),
            immutable(reference("$ref", &["User"], "The member's URI.")),
            immutable(Attr {
                canonical: &["User"],
                ..text("type", "What the member is: groups hold users.")
            }),
        ],
        ..text("members", "The users in the group.")
    },
];

/// The two kinds of resource.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Resource {
    User,
    Group,
}

impl Resource {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Resource::User => "User",
            Resource::Group => "Group",
        }
    }

    pub(crate) fn endpoint(self) -> &'static str {
        match self {
            Resource::User => "Users",
            Resource::Group => "Groups",
        }
    }

    pub(crate) fn schema(self) -> &'static str {
        match self {
            Resource::User => USER,
            Resource::Group => GROUP,
        }
    }

    /// The schemas its attributes are in: (URN, attributes).
    pub(crate) fn schemas(self) -> &'static [(&'static str, &'static [Attr])] {
        match self {
            Resource::User => &[(USER, USER_ATTRS)],
            Resource::Group => &[(GROUP, GROUP_ATTRS)],
        }
    }

    /// The core attributes, including the common `id` and `externalId`.
    pub(crate) fn attr(self, name: &str) -> Option<&'static Attr> {
        self.schemas()[0]
            .1
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether strings of `attr.sub` compare with case.
    pub(crate) fn case_exact(self, attr: &str, sub: Option<&str>) -> bool {
        if attr.eq_ignore_ascii_case("id") || attr.eq_ignore_ascii_case("externalId") {
            return true;
        }
        if attr.eq_ignore_ascii_case("meta") {
            return sub.is_some_and(|s| !s.eq_ignore_ascii_case("resourceType"));
        }
        let found = self
            .schemas()
            .iter()
            .flat_map(|(_, attrs)| attrs.iter())
            .find(|a| a.name.eq_ignore_ascii_case(attr));
        match (found, sub) {
            (Some(a), Some(s)) => a
                .subs
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(s))
                .is_some_and(|x| x.case_exact),
            (Some(a), None) => a.case_exact,
            (None, _) => false,
        }
    }
}

fn attr_json(a: &Attr) -> Value {
    let mut v = json!({
        "name": a.name,
        "type": match a.kind {
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Complex => "complex",
            Type::Reference => "reference",
        },
        "multiValued": a.multi,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": a.mutability,
        "returned": "default",
        "uniqueness": if a.required && matches!(a.name, "userName" | "displayName") {
            "server"
        } else {
            "none"
        },
    });
    if !a.canonical.is_empty() {
        v["canonicalValues"] = json!(a.canonical);
    }
    if !a.reference_types.is_empty() {
        v["referenceTypes"] = json!(a.reference_types);
    }
    if !a.subs.is_empty() {
        v["subAttributes"] = a.subs.iter().map(attr_json).collect();
    }
    v
}

/// Every schema, as `/Schemas` lists them.
pub(crate) fn schemas(base: &str) -> Vec<Value> {
    [
        (
            USER,
            "User",
            "A person: staff of the region's organizations.",
            USER_ATTRS,
        ),
        (GROUP, "Group", "A group of users.", GROUP_ATTRS),
    ]
    .into_iter()
    .map(|(id, name, description, attrs)| {
        json!({
            "schemas": [SCHEMA],
            "id": id,
            "name": name,
            "description": description,
            "attributes": attrs.iter().map(attr_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    })
    .collect()
}

/// Every resource type, as `/ResourceTypes` lists them.
pub(crate) fn resource_types(base: &str) -> Vec<Value> {
    [Resource::User, Resource::Group]
        .into_iter()
        .map(|r| {
            json!({
                "schemas": [RESOURCE_TYPE],
                "id": r.name(),
                "name": r.name(),
                "endpoint": format!("/{}", r.endpoint()),
                "description": match r {
                    Resource::User => "Staff accounts.",
                    Resource::Group => "Groups; each can give its members one role in one organization.",
                },
                "schema": r.schema(),
                "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", r.name())},
            })
        })
        .collect()
}

/// The service provider's configuration.
pub(crate) fn config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG],
        "documentationUri": format!("{base}/ServiceProviderConfig"),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Portico API token",
            "description": "An API token with the permission `portico.provision`, sent as `Authorization: Bearer pt_…`.",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
