use super::*;
use tiberius::error::IoErrorKind;
use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::compat::TokioAsyncReadCompatExt;

// tiberius keeps `TokenError`'s constructor private, so server errors are produced the way the
// driver meets them: a scripted TDS server answers the login with an ERROR token, and tiberius
// decodes it into `Error::Server`.

async fn read_packet(io: &mut DuplexStream) {
    let mut header = [0u8; 8];
    io.read_exact(&mut header).await.unwrap();
    let len = u16::from_be_bytes([header[2], header[3]]) as usize;
    let mut body = vec![0u8; len - 8];
    io.read_exact(&mut body).await.unwrap();
}

async fn write_packet(io: &mut DuplexStream, payload: &[u8]) {
    let len = (payload.len() + 8) as u16;
    let mut packet = vec![0x04, 0x01, (len >> 8) as u8, len as u8, 0, 0, 1, 0];
    packet.extend_from_slice(payload);
    io.write_all(&packet).await.unwrap();
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The prelogin answer: version 15.0, encryption not supported.
fn prelogin_response() -> Vec<u8> {
    let mut p = vec![0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF];
    p.extend_from_slice(&[15, 0, 0, 0, 0, 0]);
    p.push(0x02);
    p
}

/// An ERROR token with `code`, then a final DONE with the error bit.
fn error_response(code: u32, message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&code.to_le_bytes());
    body.push(1); // state
    body.push(16); // class
    body.extend_from_slice(&(message.encode_utf16().count() as u16).to_le_bytes());
    body.extend_from_slice(&utf16(message));
    body.push(3);
    body.extend_from_slice(&utf16("srv"));
    body.push(0); // procedure
    body.extend_from_slice(&1u32.to_le_bytes()); // line
    let mut out = vec![0xAA];
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xFD);
    out.extend_from_slice(&2u16.to_le_bytes()); // DONE_ERROR
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out
}

/// The error tiberius returns when the server answers the login with error `code`.
async fn server_error(code: u32) -> Error {
    let (client_io, mut server_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        read_packet(&mut server_io).await; // PRELOGIN
        write_packet(&mut server_io, &prelogin_response()).await;
        read_packet(&mut server_io).await; // LOGIN7
        write_packet(&mut server_io, &error_response(code, "scripted")).await;
        server_io
    });
    let mut config = Config::new();
    config.encryption(EncryptionLevel::NotSupported);
    config.authentication(AuthMethod::sql_server("u", "p"));
    let result = Client::connect(config, client_io.compat()).await;
    let _keep_open = server.await.unwrap();
    match result {
        Err(e) => e,
        Ok(_) => panic!("the scripted server accepted the login"),
    }
}

fn classify(e: &Error) -> SourceError {
    from_tiberius(e, e.to_string(), "SELECT 1")
}

#[tokio::test]
async fn server_errors_that_mean_retry_are_lost() {
    for code in [1205, 40613, 40197, 40501, 49918, 10928, 233] {
        let e = server_error(code).await;
        assert_eq!(e.code(), Some(code), "{e:?}");
        let s = classify(&e);
        assert!(
            matches!(s, SourceError::Lost { .. }) && s.is_transient(),
            "{code}: {s:?}"
        );
        assert!(s.to_string().contains("SELECT 1"), "{s}");
    }
}

#[tokio::test]
async fn other_server_errors_fail_at_once() {
    // invalid object name, syntax error, conversion failure, permission denied
    for code in [208, 102, 245, 229] {
        let e = server_error(code).await;
        let s = classify(&e);
        assert!(
            matches!(s, SourceError::Query { .. }) && !s.is_transient(),
            "{code}: {s:?}"
        );
        assert!(s.to_string().contains("scripted"), "{s}");
    }
}

#[test]
fn io_and_tls_errors_are_lost() {
    for kind in [
        IoErrorKind::ConnectionReset,
        IoErrorKind::ConnectionAborted,
        IoErrorKind::BrokenPipe,
        IoErrorKind::UnexpectedEof,
        IoErrorKind::TimedOut,
    ] {
        let e = Error::Io {
            kind,
            message: "gone".into(),
        };
        assert!(matches!(classify(&e), SourceError::Lost { .. }), "{kind:?}");
    }
    let tls = Error::Tls("close_notify missing".into());
    assert!(classify(&tls).is_transient());
}

#[test]
fn protocol_and_conversion_errors_are_not_retried() {
    for e in [
        Error::Protocol("bad token".into()),
        Error::Conversion("not a number".into()),
        Error::Utf16,
    ] {
        assert!(matches!(classify(&e), SourceError::Query { .. }), "{e:?}");
    }
}
