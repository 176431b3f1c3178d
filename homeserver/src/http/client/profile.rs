//! `GET /profile/{userId}`, `GET/PUT/DELETE /profile/{userId}/{field}`,
//! `POST /user_directory/search`.

use axum::Router;
use ruma::{
    OwnedMxcUri,
    api::client::{
        profile::{
            delete_profile_field::v3 as delete_field, get_profile::v3 as get_profile,
            get_profile_field::v3 as get_field, set_profile_field::v3 as set_field,
        },
        user_directory::search_users::v3 as search_users,
    },
    profile::ProfileFieldValue,
};

use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    profiles::Profiles,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(profile)
        .ruma(field)
        .ruma(set)
        .ruma(delete)
        .ruma(search)
}

async fn profile(
    profiles: Profiles,
    req: Ruma<get_profile::Request>,
) -> Result<get_profile::Response> {
    let fields = profiles.profile(&req.body.user_id).await?;
    let mut response = get_profile::Response::new();
    response.data = fields.into_iter().collect();
    Ok(response)
}

async fn field(profiles: Profiles, req: Ruma<get_field::Request>) -> Result<get_field::Response> {
    let name = req.body.field.as_str();
    let value = profiles.field(&req.body.user_id, name).await?;
    let value = ProfileFieldValue::new(name, value)
        .map_err(|_| Error::not_found("Profile field not set"))?;
    Ok(get_field::Response::new(value))
}

/// Whether a change of this profile field shows in the user's member events.
fn in_member_events(field: &str) -> bool {
    matches!(field, "displayname" | "avatar_url")
}

async fn set(state: AppState, req: Ruma<set_field::Request>) -> Result<set_field::Response> {
    let user_id = &req.body.user_id;
    state
        .profiles
        .set_field(req.sender()?, user_id, &req.body.value)
        .await?;
    if in_member_events(req.body.value.field_name().as_str()) {
        state.rooms.refresh_member_profiles(user_id).await?;
    }
    Ok(set_field::Response::new())
}

async fn delete(
    state: AppState,
    req: Ruma<delete_field::Request>,
) -> Result<delete_field::Response> {
    let (user_id, field) = (&req.body.user_id, req.body.field.as_str());
    state
        .profiles
        .delete_field(req.sender()?, user_id, field)
        .await?;
    if in_member_events(field) {
        state.rooms.refresh_member_profiles(user_id).await?;
    }
    Ok(delete_field::Response::new())
}

async fn search(
    profiles: Profiles,
    req: Ruma<search_users::Request>,
) -> Result<search_users::Response> {
    req.sender()?;
    let limit = u32::try_from(u64::from(req.body.limit)).unwrap_or(u32::MAX);
    let (found, limited) = profiles.search(&req.body.search_term, limit).await?;
    let results = found
        .into_iter()
        .filter_map(|entry| {
            let mut user = search_users::User::new(entry.user_id.try_into().ok()?);
            user.display_name = entry
                .displayname
                .and_then(|v| serde_json::from_str(&v).ok());
            user.avatar_url = entry
                .avatar_url
                .and_then(|v| serde_json::from_str::<String>(&v).ok())
                .map(OwnedMxcUri::from);
            Some(user)
        })
        .collect();
    Ok(search_users::Response::new(results, limited))
}
