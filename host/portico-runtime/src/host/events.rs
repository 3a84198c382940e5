//! `events`: what a module tells the other modules of its organization,
//! published when the call's unit of work is kept.

use super::{CallState, HostResult, invalid};
use crate::bindings::v0_1_0::generated::portico::plugin::events;
use crate::manifest::Capability;

impl events::Host for CallState {
    async fn publish(&mut self, topic: String, payload: String) -> HostResult<()> {
        self.grant(Capability::Events)?;
        if !crate::manifest::is_topic(&topic) {
            return Err(invalid(
                "topic",
                format!(
                    "`{topic}` is not a topic: use lower-case words joined by dots, e.g. `notice.posted`"
                ),
            ));
        }
        let work = self.work(Capability::Events).await?;
        Ok(work.publish(&topic, &payload).await?)
    }
}
