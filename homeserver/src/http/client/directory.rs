//! Aliases (`/directory/room/{alias}`, `/rooms/{roomId}/aliases`) and the public room
//! directory (`/directory/list/room/{roomId}`, `/publicRooms`).

use axum::Router;
use ruma::{
    UInt,
    api::client::{
        alias::{
            create_alias::v3 as create_alias, delete_alias::v3 as delete_alias,
            get_alias::v3 as get_alias,
        },
        directory::{
            get_public_rooms::v3 as public_rooms,
            get_public_rooms_filtered::v3 as public_rooms_filtered,
            get_room_visibility::v3 as get_visibility, set_room_visibility::v3 as set_visibility,
        },
        room::{Visibility, aliases::v3 as room_aliases},
    },
    directory::PublicRoomsChunk,
};

use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    rooms::Rooms,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(put_alias)
        .ruma(get_alias_target)
        .ruma(remove_alias)
        .ruma(list_aliases)
        .ruma(visibility)
        .ruma(set_room_visibility)
        .ruma(public)
        .ruma(public_filtered)
}

async fn put_alias(
    rooms: Rooms,
    req: Ruma<create_alias::Request>,
) -> Result<create_alias::Response> {
    rooms
        .create_alias(req.sender()?, &req.body.room_alias, &req.body.room_id)
        .await?;
    Ok(create_alias::Response::new())
}

async fn get_alias_target(
    rooms: Rooms,
    req: Ruma<get_alias::Request>,
) -> Result<get_alias::Response> {
    let room_id = rooms.alias_target(&req.body.room_alias).await?;
    Ok(get_alias::Response::new(
        room_id,
        vec![rooms.server_name().clone()],
    ))
}

async fn remove_alias(
    rooms: Rooms,
    req: Ruma<delete_alias::Request>,
) -> Result<delete_alias::Response> {
    rooms
        .delete_alias(req.sender()?, &req.body.room_alias)
        .await?;
    Ok(delete_alias::Response::new())
}

async fn list_aliases(
    rooms: Rooms,
    req: Ruma<room_aliases::Request>,
) -> Result<room_aliases::Response> {
    let aliases = rooms.aliases_for(req.sender()?, &req.body.room_id).await?;
    Ok(room_aliases::Response::new(
        aliases
            .into_iter()
            .filter_map(|a| a.try_into().ok())
            .collect(),
    ))
}

async fn visibility(
    rooms: Rooms,
    req: Ruma<get_visibility::Request>,
) -> Result<get_visibility::Response> {
    let published = rooms.is_published(&req.body.room_id).await?;
    Ok(get_visibility::Response::new(if published {
        Visibility::Public
    } else {
        Visibility::Private
    }))
}

async fn set_room_visibility(
    rooms: Rooms,
    req: Ruma<set_visibility::Request>,
) -> Result<set_visibility::Response> {
    let public = match req.body.visibility {
        Visibility::Public => true,
        Visibility::Private => false,
        _ => return Err(Error::invalid_param("visibility must be public or private")),
    };
    rooms
        .set_published(req.sender()?, &req.body.room_id, public)
        .await?;
    Ok(set_visibility::Response::new())
}

/// One page of the directory: `since` is `p<offset>`.
struct Page {
    chunk: Vec<PublicRoomsChunk>,
    next_batch: Option<String>,
    prev_batch: Option<String>,
    total: UInt,
}

async fn page(
    rooms: &Rooms,
    server: Option<&ruma::ServerName>,
    term: Option<&str>,
    limit: Option<UInt>,
    since: Option<&str>,
) -> Result<Page> {
    if server.is_some_and(|s| s != rooms.server_name()) {
        // Other servers' directories are fetched over federation, which is not built yet.
        return Err(Error::not_found(
            "Only this server's directory is available",
        ));
    }
    let all = rooms.public_rooms(term).await?;
    let offset = match since {
        Some(token) => token
            .strip_prefix('p')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| Error::invalid_param("Invalid since token"))?,
        None => 0,
    };
    let limit = limit
        .map_or(usize::MAX, |l| {
            usize::try_from(u64::from(l)).unwrap_or(usize::MAX)
        })
        .max(1);
    let end = offset.saturating_add(limit).min(all.len());
    let chunk = all
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(|summary| serde_json::from_value(summary.to_json()).map_err(|_| Error::internal()))
        .collect::<Result<_>>()?;
    Ok(Page {
        chunk,
        next_batch: (end < all.len()).then(|| format!("p{end}")),
        prev_batch: (offset > 0).then(|| format!("p{}", offset.saturating_sub(limit))),
        total: UInt::try_from(all.len() as u64).unwrap_or_default(),
    })
}

async fn public(rooms: Rooms, req: Ruma<public_rooms::Request>) -> Result<public_rooms::Response> {
    let b = &req.body;
    let page = page(
        &rooms,
        b.server.as_deref(),
        None,
        b.limit,
        b.since.as_deref(),
    )
    .await?;
    let mut response = public_rooms::Response::new(page.chunk);
    response.next_batch = page.next_batch;
    response.prev_batch = page.prev_batch;
    response.total_room_count_estimate = Some(page.total);
    Ok(response)
}

async fn public_filtered(
    rooms: Rooms,
    req: Ruma<public_rooms_filtered::Request>,
) -> Result<public_rooms_filtered::Response> {
    req.sender()?;
    let b = &req.body;
    let term = b.filter.generic_search_term.as_deref();
    let page = page(
        &rooms,
        b.server.as_deref(),
        term,
        b.limit,
        b.since.as_deref(),
    )
    .await?;
    let mut response = public_rooms_filtered::Response::new();
    response.chunk = page.chunk;
    response.next_batch = page.next_batch;
    response.prev_batch = page.prev_batch;
    response.total_room_count_estimate = Some(page.total);
    Ok(response)
}
