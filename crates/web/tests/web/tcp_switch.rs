//! A TCP forwarder that can be cut and restored, to take a real dependency away and back.

use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards 127.0.0.1:<port> to `target` while on; cutting it drops every connection and
/// refuses new ones.
pub struct TcpSwitch {
    pub port: u16,
    on: Arc<watch::Sender<bool>>,
}

impl TcpSwitch {
    pub async fn start(target: &'static str) -> TcpSwitch {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let on = Arc::new(watch::channel(true).0);
        let switch = on.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = switch.subscribe();
                if !*state.borrow() {
                    continue; // dropped: the client sees the connection closed
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = state.wait_for(|on| !*on) => {}
                    }
                });
            }
        });
        TcpSwitch { port, on }
    }

    pub fn set(&self, on: bool) {
        self.on.send_replace(on);
    }
}
