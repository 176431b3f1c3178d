//! Contract tests of [`MediaStore`], on every backend.

use super::{tests::on_every_backend, *};

fn pending(media_id: &str, user_id: &str, expires: i64) -> MediaRecord {
    MediaRecord {
        media_id: media_id.to_owned(),
        user_id: user_id.to_owned(),
        content_type: None,
        filename: None,
        sha256: None,
        size: None,
        created_ts: 1,
        unused_expires_ts: Some(expires),
        authenticated_only: false,
    }
}

fn content(sha: &str, size: i64) -> MediaContent {
    MediaContent {
        content_type: Some("image/png".to_owned()),
        filename: Some("a.png".to_owned()),
        sha256: sha.to_owned(),
        size,
        authenticated_only: true,
    }
}

#[tokio::test]
async fn media_rows_are_created_completed_once_and_lapse() {
    on_every_backend(|store| async move {
        store
            .insert_media(&pending("m1", "@a:x", 100))
            .await
            .unwrap();
        store
            .insert_media(&pending("m2", "@a:x", 100))
            .await
            .unwrap();
        store
            .insert_media(&pending("m3", "@a:x", 10))
            .await
            .unwrap();
        assert_eq!(store.pending_media_count("@a:x", 50).await.unwrap(), 2);
        assert_eq!(store.pending_media_count("@b:x", 50).await.unwrap(), 0);
        // Only the creator completes, only once, only before the ID lapses.
        assert!(
            !store
                .complete_media("m1", "@b:x", &content("aa", 5), 50)
                .await
                .unwrap()
        );
        assert!(
            !store
                .complete_media("m3", "@a:x", &content("aa", 5), 50)
                .await
                .unwrap()
        );
        assert!(
            store
                .complete_media("m1", "@a:x", &content("aa", 5), 50)
                .await
                .unwrap()
        );
        assert!(
            !store
                .complete_media("m1", "@a:x", &content("bb", 7), 50)
                .await
                .unwrap()
        );
        let m1 = store.media("m1").await.unwrap().unwrap();
        assert_eq!(m1.sha256.as_deref(), Some("aa"));
        assert_eq!(m1.size, Some(5));
        assert_eq!(m1.filename.as_deref(), Some("a.png"));
        assert_eq!(m1.unused_expires_ts, None);
        assert!(m1.authenticated_only);
        assert_eq!(store.user_media_bytes("@a:x").await.unwrap(), 5);
        assert_eq!(store.user_media_bytes("@b:x").await.unwrap(), 0);
        // Lapsed pending IDs go; uploaded ones stay.
        assert_eq!(store.delete_lapsed_media(50).await.unwrap(), 1);
        assert!(store.media("m3").await.unwrap().is_none());
        assert!(store.media("m1").await.unwrap().is_some());
        assert!(store.media("m2").await.unwrap().is_some());
        assert!(store.media("nope").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn thumbnails_are_cached_per_size_method_and_animation() {
    on_every_backend(|store| async move {
        let thumb = ThumbnailRecord {
            media_id: "m".to_owned(),
            width: 96,
            height: 96,
            method: "crop".to_owned(),
            animated: false,
            content_type: "image/png".to_owned(),
            sha256: "cc".to_owned(),
            size: 42,
        };
        assert!(
            store
                .thumbnail("m", 96, 96, "crop", false)
                .await
                .unwrap()
                .is_none()
        );
        store.insert_thumbnail(&thumb).await.unwrap();
        // A concurrent twin is ignored, not an error.
        store
            .insert_thumbnail(&ThumbnailRecord {
                sha256: "dd".to_owned(),
                ..thumb.clone()
            })
            .await
            .unwrap();
        assert_eq!(
            store.thumbnail("m", 96, 96, "crop", false).await.unwrap(),
            Some(thumb)
        );
        assert!(
            store
                .thumbnail("m", 96, 96, "crop", true)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .thumbnail("m", 96, 96, "scale", false)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}
