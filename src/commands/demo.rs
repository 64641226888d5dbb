//! `neurocards demo`: placeholder until the scripted run lands.

pub async fn run() -> anyhow::Result<()> {
    anyhow::bail!("the demo is not available yet")
}
