//! The operational events of endpoint changes (`endpoint.created`, `.updated`, `.deleted`,
//! and `.enabled`/`.disabled` when a user flips `disabled`), handed to the event sink after
//! the change is committed. Changes to operational endpoints themselves (the management
//! org's) report nothing: an operational webhook about an operational webhook endpoint
//! would loop.

use std::sync::{Arc, Mutex};

use sluice_core::events::{DisableTrigger, EndpointRef, OpEvent};
use sluice_core::model::{Application, Endpoint};

use super::operational::MANAGEMENT_ORG;
use super::Ctx;

/// The endpoint `ep` of `app`, as events name it.
pub fn endpoint_ref(app: &Application, ep: &Endpoint) -> EndpointRef {
    EndpointRef {
        app_id: app.id.clone(),
        app_uid: app.uid.clone(),
        endpoint_id: ep.id.clone(),
        endpoint_uid: ep.uid.clone(),
    }
}

fn emit(ctx: Ctx<'_>, app: &Application, event: OpEvent) {
    if app.org_id != MANAGEMENT_ORG {
        ctx.events.emit(event);
    }
}

/// `endpoint.created`.
pub fn created(ctx: Ctx<'_>, app: &Application, ep: &Endpoint) {
    emit(ctx, app, OpEvent::EndpointCreated(endpoint_ref(app, ep)));
}

/// `endpoint.deleted`.
pub fn deleted(ctx: Ctx<'_>, app: &Application, ep: &Endpoint) {
    emit(ctx, app, OpEvent::EndpointDeleted(endpoint_ref(app, ep)));
}

/// `endpoint.updated`, then `endpoint.enabled` or `endpoint.disabled` (trigger `manual`)
/// when the edit flipped `disabled` on the row as stored (`was` is what the edit saw).
pub fn updated(ctx: Ctx<'_>, app: &Application, was: &SeenDisabled, ep: &Endpoint) {
    let at = endpoint_ref(app, ep);
    emit(ctx, app, OpEvent::EndpointUpdated(at.clone()));
    match (was.get(), ep.disabled) {
        (Some(false), true) => {
            if app.org_id != MANAGEMENT_ORG {
                metrics::counter!("sluice_endpoints_disabled_total", "trigger" => "manual")
                    .increment(1);
            }
            emit(
                ctx,
                app,
                OpEvent::EndpointDisabled {
                    endpoint: at,
                    fail_since: None,
                    trigger: DisableTrigger::Manual,
                },
            );
        }
        (Some(true), false) => emit(ctx, app, OpEvent::EndpointEnabled(at)),
        _ => {}
    }
}

/// What `disabled` was on the stored row when an edit ran (the edit runs inside the
/// store's write, so this is the state the change replaced, not a stale read).
#[derive(Debug, Clone, Default)]
pub struct SeenDisabled(Arc<Mutex<Option<bool>>>);

impl SeenDisabled {
    /// Records the stored row's value; called by the edit.
    pub fn saw(&self, ep: &Endpoint) {
        *self.0.lock().expect("seen lock poisoned") = Some(ep.disabled);
    }

    /// The recorded value, if the edit ran.
    pub fn get(&self) -> Option<bool> {
        *self.0.lock().expect("seen lock poisoned")
    }
}
