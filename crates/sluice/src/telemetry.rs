//! Logging and tracing. Filter: `SLUICE_LOG` (or `RUST_LOG`), default `info`. Format:
//! `log_format = "json"` (or `SLUICE_LOG_FORMAT=json`, the same key from the environment)
//! for one JSON object per line, each with the fields of its spans (`request_id`, …).
//! With `otlp_endpoint` set, spans are also exported over OTLP/HTTP (protobuf) by a
//! batching background thread: a slow or absent collector drops spans, it never holds up
//! a request or a delivery. Secrets, signatures and payloads are never logged or exported.

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use sluice_server::config::{Config, LogFormat};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes exported spans when dropped (at the end of `main`).
pub struct Guard(Option<SdkTracerProvider>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take() {
            if let Err(e) = provider.shutdown() {
                eprintln!("flushing traces failed: {e}");
            }
        }
    }
}

/// Installs the global subscriber, and the OTLP exporter when configured. Call before the
/// async runtime starts (the exporter's blocking client must not be made inside it).
pub fn init(config: &Config) -> anyhow::Result<Guard> {
    let filter = std::env::var("SLUICE_LOG")
        .ok()
        .map(EnvFilter::new)
        .unwrap_or_else(|| {
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
        });
    let fmt = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
    };
    let provider = config
        .otlp_endpoint
        .as_deref()
        .map(|url| provider(url, &config.otlp_service_name))
        .transpose()?;
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("sluice"))
            .with_tracked_inactivity(false)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .init();
    if let Some(url) = &config.otlp_endpoint {
        tracing::info!(endpoint = %traces_url(url), "exporting traces over OTLP/HTTP");
    }
    Ok(Guard(provider))
}

/// `<base>/v1/traces`, unless the URL already names that path.
fn traces_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_string()
    } else {
        format!("{base}/v1/traces")
    }
}

fn provider(url: &str, service: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces_url(url))
        .build()
        .context("setting up the OTLP exporter (otlp_endpoint)")?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_string())
                .build(),
        )
        .build())
}
