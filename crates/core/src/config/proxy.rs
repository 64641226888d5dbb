//! Outbound proxies from `PROXY_FILE`: `ip:port:user:pass`, `ip:port`, or a proxy URL.

use crate::secret::Secret;
use std::fmt;
use url::Url;

/// The proxy protocols we can route through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyScheme {
    /// An HTTP(S) CONNECT proxy.
    Http,
    /// SOCKS5 with the name resolved by the proxy.
    Socks5,
}

/// One outbound proxy; the password never appears in formatted output.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Protocol.
    pub scheme: ProxyScheme,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name, when the proxy wants one.
    pub username: Option<String>,
    /// Password, when the proxy wants one.
    pub password: Option<Secret>,
}

impl Proxy {
    /// A label safe for logs and metrics: `host:port`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The proxy as a URL with credentials, for the HTTP client.
    pub fn url(&self) -> String {
        let scheme = match self.scheme {
            ProxyScheme::Http => "http",
            ProxyScheme::Socks5 => "socks5h",
        };
        match (&self.username, &self.password) {
            (Some(user), Some(pass)) => {
                format!(
                    "{scheme}://{user}:{}@{}:{}",
                    pass.expose(),
                    self.host,
                    self.port
                )
            }
            (Some(user), None) => format!("{scheme}://{user}@{}:{}", self.host, self.port),
            _ => format!("{scheme}://{}:{}", self.host, self.port),
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({:?} {})", self.scheme, self.label())
    }
}

/// Parses a proxy file's text: one proxy a line; blank lines and `#` comments skipped.
/// The error names the line number and says what is wrong.
pub fn parse_proxy_list(text: &str) -> Result<Vec<Proxy>, String> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(number, line)| parse_proxy_line(line).map_err(|why| format!("line {number}: {why}")))
        .collect()
}

fn parse_proxy_line(line: &str) -> Result<Proxy, String> {
    if line.contains("://") {
        return parse_proxy_url(line);
    }
    let parts: Vec<&str> = line.split(':').collect();
    let (host, port, username, password) = match parts.as_slice() {
        [host, port] => (host, port, None, None),
        [host, port, user, pass] => (host, port, Some(*user), Some(*pass)),
        _ => return Err("expected ip:port:user:pass, ip:port or a proxy URL".to_owned()),
    };
    if host.is_empty() {
        return Err("the host is empty".to_owned());
    }
    let port = parse_port(port)?;
    Ok(Proxy {
        scheme: ProxyScheme::Http,
        host: (*host).to_owned(),
        port,
        username: username.map(str::to_owned),
        password: password.map(Secret::new),
    })
}

fn parse_proxy_url(line: &str) -> Result<Proxy, String> {
    let url = Url::parse(line).map_err(|e| format!("not a proxy URL ({e})"))?;
    let scheme = match url.scheme() {
        "http" | "https" => ProxyScheme::Http,
        "socks5" | "socks5h" => ProxyScheme::Socks5,
        other => return Err(format!("unsupported proxy scheme '{other}'")),
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("the proxy URL has no host")?;
    let port = url
        .port_or_known_default()
        .ok_or("the proxy URL has no port")?;
    let username = Some(url.username()).filter(|u| !u.is_empty());
    Ok(Proxy {
        scheme,
        host: host.to_owned(),
        port,
        username: username.map(str::to_owned),
        password: url.password().map(Secret::new),
    })
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("'{text}' is not a port number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_form() {
        let list = parse_proxy_list(
            "# office\n1.2.3.4:8080:bob:pw\n\n5.6.7.8:3128\nsocks5://u:p@9.9.9.9:1080\nhttp://10.0.0.1:80\n",
        )
        .expect("valid list");
        assert_eq!(list.len(), 4);
        assert_eq!(list[0].url(), "http://bob:pw@1.2.3.4:8080");
        assert_eq!(list[1].username, None);
        assert_eq!(list[2].scheme, ProxyScheme::Socks5);
        assert_eq!(list[2].url(), "socks5h://u:p@9.9.9.9:1080");
        assert!(!format!("{:?}", list[0]).contains("pw"));
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_proxy_list("1.2.3.4:8080\n1.2.3.4:http\n").expect_err("bad port");
        assert!(err.starts_with("line 2:"), "{err}");
        let err = parse_proxy_list("a:b:c").expect_err("three parts");
        assert!(err.contains("ip:port:user:pass"), "{err}");
        assert!(parse_proxy_list("ftp://1.2.3.4:21").is_err());
    }
}
