import Foundation
import OTel
import ServiceLifecycle
import Tracing

/// Optional OpenTelemetry traces (swift-otel, OTLP over HTTP): a span per merchant request (W3C `traceparent`
/// accepted), engine step, provider call and store commit. Off unless an endpoint is configured.
public enum GatewayTracing {
    /// Installs the tracer for the process when `endpoint` is set and returns its exporter service (run it with the
    /// gateway, first in the group, so that it stops last and flushes); nil when tracing is off.
    ///
    /// `endpoint` is a collector's base URL (`http://collector:4318`, traces then go to `/v1/traces`) or the full
    /// traces URL. `protocol`: `http/protobuf` (default) or `http/json`.
    public static func bootstrap(endpoint: String?, protocol name: String? = nil, serviceName: String = "payout-gateway",
                                 scheduleDelay: Duration = .seconds(2)) throws -> (any Service)? {
        guard let endpoint, !endpoint.isEmpty else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.otlpExporter.endpoint = tracesURL(endpoint)
        configuration.traces.otlpExporter.protocol = name == "http/json" ? .httpJSON : .httpProtobuf
        configuration.traces.batchSpanProcessor.scheduleDelay = scheduleDelay
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }

    /// A base URL gets the traces path; a URL with a path is used as it is.
    static func tracesURL(_ endpoint: String) -> String {
        guard let url = URL(string: endpoint), url.path.isEmpty || url.path == "/" else { return endpoint }
        return (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/v1/traces"
    }
}
