//! `files`: the module's stored files in the calling organization, each
//! with its retention mark and period.

use super::{CallState, HostResult};
use crate::backend::NewFile;
use crate::bindings::v0_1_0::generated::portico::plugin::files;
use crate::manifest::Capability;

impl files::Host for CallState {
    async fn store(
        &mut self,
        name: String,
        media_type: String,
        content: Vec<u8>,
        retention: files::Retention,
    ) -> HostResult<files::FileInfo> {
        let file = NewFile {
            name,
            media_type,
            content,
            mark: retention.mark.into(),
            years: retention.years,
        };
        let work = self.work(Capability::Files).await?;
        Ok(work.store_file(file).await?.into())
    }

    async fn info(&mut self, id: String) -> HostResult<files::FileInfo> {
        let work = self.work(Capability::Files).await?;
        Ok(work.file_info(&id).await?.into())
    }

    async fn read(&mut self, id: String) -> HostResult<Vec<u8>> {
        let work = self.work(Capability::Files).await?;
        Ok(work.read_file(&id).await?)
    }

    async fn delete(&mut self, id: String) -> HostResult<()> {
        let work = self.work(Capability::Files).await?;
        Ok(work.delete_file(&id).await?)
    }
}
