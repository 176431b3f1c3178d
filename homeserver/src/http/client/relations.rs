//! `/relations`, `/threads`, `/context`, `/timestamp_to_event`, `/report`.

use axum::Router;
use ruma::{
    MilliSecondsSinceUnixEpoch, UInt,
    api::{
        Direction,
        client::{
            context::get_context::v3 as context,
            relations::{
                get_relating_events::v1 as relating,
                get_relating_events_with_rel_type::v1 as relating_type,
                get_relating_events_with_rel_type_and_event_type::v1 as relating_type_kind,
            },
            room::{
                get_event_by_timestamp::v1 as by_timestamp, report_content::v3 as report_event,
                report_room::v3 as report_room,
            },
            threads::get_threads::v1::{self as threads, IncludeThreads},
        },
    },
};

use super::rooms::raw;
use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    rooms::{RelationsPage, Rooms, event_filter},
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(relations_any)
        .ruma(relations_of_type)
        .ruma(relations_of_type_and_kind)
        .ruma(thread_list)
        .ruma(event_context)
        .ruma(timestamp_to_event)
        .ruma(report_an_event)
        .ruma(report_a_room)
}

fn limit(limit: Option<UInt>, default: u32) -> u32 {
    limit.map_or(default, |l| u32::try_from(u64::from(l)).unwrap_or(u32::MAX))
}

/// Fills any of the three relation responses, which share their fields.
macro_rules! relations_response {
    ($module:ident, $rooms:expr, $sender:expr, $page:expr) => {{
        let mut page: RelationsPage = $page;
        $rooms
            .with_transaction_ids($sender, &mut page.chunk)
            .await?;
        let chunk = page.chunk.iter().map(raw).collect::<Result<_>>()?;
        let mut response = $module::Response::new(chunk);
        response.next_batch = page.next_batch;
        response.recursion_depth = page
            .recursion_depth
            .and_then(|d| UInt::try_from(d as u64).ok());
        Ok(response)
    }};
}

async fn relations_any(rooms: Rooms, req: Ruma<relating::Request>) -> Result<relating::Response> {
    let b = &req.body;
    let sender = req.sender()?;
    let page = rooms
        .relations_for(
            &sender.user_id,
            &b.room_id,
            &b.event_id,
            None,
            None,
            b.from.as_deref(),
            b.to.as_deref(),
            b.dir == Direction::Forward,
            limit(b.limit, 50),
            b.recurse,
        )
        .await?;
    relations_response!(relating, rooms, sender, page)
}

async fn relations_of_type(
    rooms: Rooms,
    req: Ruma<relating_type::Request>,
) -> Result<relating_type::Response> {
    let b = &req.body;
    let rel_type = b.rel_type.to_string();
    let sender = req.sender()?;
    let page = rooms
        .relations_for(
            &sender.user_id,
            &b.room_id,
            &b.event_id,
            Some(&rel_type),
            None,
            b.from.as_deref(),
            b.to.as_deref(),
            b.dir == Direction::Forward,
            limit(b.limit, 50),
            b.recurse,
        )
        .await?;
    relations_response!(relating_type, rooms, sender, page)
}

async fn relations_of_type_and_kind(
    rooms: Rooms,
    req: Ruma<relating_type_kind::Request>,
) -> Result<relating_type_kind::Response> {
    let b = &req.body;
    let (rel_type, kind) = (b.rel_type.to_string(), b.event_type.to_string());
    let sender = req.sender()?;
    let page = rooms
        .relations_for(
            &sender.user_id,
            &b.room_id,
            &b.event_id,
            Some(&rel_type),
            Some(&kind),
            b.from.as_deref(),
            b.to.as_deref(),
            b.dir == Direction::Forward,
            limit(b.limit, 50),
            b.recurse,
        )
        .await?;
    relations_response!(relating_type_kind, rooms, sender, page)
}

async fn thread_list(rooms: Rooms, req: Ruma<threads::Request>) -> Result<threads::Response> {
    let b = &req.body;
    let participated = matches!(b.include, IncludeThreads::Participated);
    let sender = req.sender()?;
    let mut page = rooms
        .threads_for(
            &sender.user_id,
            &b.room_id,
            b.from.as_deref(),
            limit(b.limit, 20),
            participated,
        )
        .await?;
    rooms.with_transaction_ids(sender, &mut page.chunk).await?;
    let mut response = threads::Response::new(page.chunk.iter().map(raw).collect::<Result<_>>()?);
    response.next_batch = page.next_batch;
    Ok(response)
}

async fn event_context(rooms: Rooms, req: Ruma<context::Request>) -> Result<context::Response> {
    let b = &req.body;
    let limit = u32::try_from(u64::from(b.limit)).unwrap_or(u32::MAX);
    let sender = req.sender()?;
    let mut page = rooms
        .context_for(
            &sender.user_id,
            &b.room_id,
            &b.event_id,
            limit,
            &event_filter(&b.filter),
        )
        .await?;
    let events = (page.before.iter_mut())
        .chain([&mut page.event])
        .chain(page.after.iter_mut());
    rooms.with_transaction_ids(sender, events).await?;
    let mut response = context::Response::new();
    response.event = Some(raw(&page.event)?);
    response.events_before = page.before.iter().map(raw).collect::<Result<_>>()?;
    response.events_after = page.after.iter().map(raw).collect::<Result<_>>()?;
    response.start = page.start;
    response.end = page.end;
    response.state = page.state.iter().map(raw).collect::<Result<_>>()?;
    Ok(response)
}

async fn timestamp_to_event(
    rooms: Rooms,
    req: Ruma<by_timestamp::Request>,
) -> Result<by_timestamp::Response> {
    let b = &req.body;
    let ts = i64::from(b.ts.0);
    let (event_id, found_ts) = rooms
        .event_at(
            &req.sender()?.user_id,
            &b.room_id,
            ts,
            b.dir == Direction::Forward,
        )
        .await?;
    let found_ts = UInt::try_from(found_ts).map_err(|_| Error::internal())?;
    Ok(by_timestamp::Response::new(
        event_id,
        MilliSecondsSinceUnixEpoch(found_ts),
    ))
}

async fn report_an_event(
    rooms: Rooms,
    req: Ruma<report_event::Request>,
) -> Result<report_event::Response> {
    let b = &req.body;
    rooms
        .report(
            &req.sender()?.user_id,
            &b.room_id,
            Some(&b.event_id),
            b.reason.as_deref(),
        )
        .await?;
    Ok(report_event::Response::new())
}

async fn report_a_room(
    rooms: Rooms,
    req: Ruma<report_room::Request>,
) -> Result<report_room::Response> {
    let b = &req.body;
    rooms
        .report(&req.sender()?.user_id, &b.room_id, None, Some(&b.reason))
        .await?;
    Ok(report_room::Response::new())
}
