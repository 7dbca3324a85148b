//! A session: an installation held open with its register, for the operations that read or
//! change what the installation records. Opening one opens (or creates, for an operation that
//! records evidence) the home and its database; closing it signs a checkpoint over whatever
//! the session recorded.

use std::collections::BTreeSet;

use anyhow::Context;
use jiff::civil::Date;
use phiguard_core::{ControlId, Source};
use phiguard_register::Register;

use crate::installation::{Installation, Purpose};
use crate::{Notices, Options};

/// An open installation and its register.
#[derive(Debug)]
pub struct Session {
    pub installation: Installation,
    pub register: Register,
}

impl Session {
    /// Opens the installation for `purpose` (see [`Purpose`]) and its register.
    pub async fn open(
        options: &Options,
        purpose: Purpose,
        notices: &dyn Notices,
    ) -> anyhow::Result<Session> {
        let installation = Installation::open(options, purpose, notices).await?;
        let register = Register::new(installation.store.clone());
        Ok(Session {
            installation,
            register,
        })
    }

    /// Ends the session: signs a checkpoint when it recorded evidence, closes the database.
    pub async fn close(self) -> anyhow::Result<()> {
        self.installation.close().await
    }

    /// Opens a session, runs `work` in it, and closes it whatever the outcome: `work`'s error
    /// first, else the one closing met.
    pub async fn run<T>(
        options: &Options,
        purpose: Purpose,
        notices: &dyn Notices,
        work: impl AsyncFnOnce(&Session) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let session = Session::open(options, purpose, notices).await?;
        let outcome = work(&session).await;
        let closed = session.close().await;
        let outcome = outcome?;
        closed?;
        Ok(outcome)
    }
}

/// Today, as the register's checks count days.
pub fn today() -> Date {
    phiguard_register::records::utc_day(jiff::Timestamp::now())
}

/// Who a change is recorded as made by: the OS account, after the name the person `stated`
/// (`--actor`). Records kept by people name no host.
pub fn change_source(stated: Option<&str>) -> Source {
    Source {
        host: None,
        agent: crate::installation::local_source().agent,
        actor: Some(crate::installation::actor(stated)),
    }
}

/// The HIPAA catalog compiled into phiguard.
pub fn builtin_catalog() -> anyhow::Result<phiguard_assess::Catalog> {
    phiguard_assess::Catalog::builtin().context("the built-in HIPAA catalog is damaged")
}

/// Whether a citation is one of `catalog`'s controls: the only controls a matrix row may name.
/// The register cannot see the catalog (which is built on it), so readers are handed this.
pub fn known_controls(catalog: &phiguard_assess::Catalog) -> impl Fn(ControlId) -> bool + use<> {
    let known: BTreeSet<ControlId> = catalog
        .controls
        .iter()
        .filter_map(|control| control.citation)
        .collect();
    move |control| known.contains(&control)
}
