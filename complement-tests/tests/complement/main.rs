//! Black-box tests: each starts real `hearth` processes and talks to them over HTTP.
//! One test binary (modules below) so the suite links once.

mod account;
mod account_data;
mod devices;
mod directory;
mod discovery;
mod edge;
mod ephemeral;
mod login;
mod media;
mod membership;
mod messages;
mod profile;
mod push;
mod registration;
mod relations;
mod rooms;
mod search;
mod stock_client;
mod sync;
mod web_client;
mod websocket;
