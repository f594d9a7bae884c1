import Foundation

/// Server-rendered HTML for the ops page: escaped text, small tables, inline SVG charts. No JavaScript beyond an
/// optional refresh.
enum OpsHTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func page(title: String, body: String, refreshSeconds: Int? = nil) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
        <title>\(escape(title)) · payout-gateway</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
        header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
        header a{color:#cfd8ff;text-decoration:none} header form{margin-left:auto}
        main{padding:16px 20px;max-width:1400px} section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:12px 16px;margin-bottom:16px}
        h1{font-size:18px;margin:0} h2{font-size:16px;margin:0 0 8px} table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;vertical-align:top} th{font-weight:600;color:#555}
        .bad{color:#b3261e;font-weight:600} .ok{color:#1b7a3a} .muted{color:#777} code{font-size:12px}
        .filters input,.filters select{margin-right:8px} button{cursor:pointer}
        </style>
        \(refreshSeconds.map { "<script>setTimeout(function(){location.reload()},\($0 * 1000))</script>" } ?? "")
        </head><body>
        <header><h1>payout-gateway</h1><a href="/ops">Overview</a><a href="/ops/payouts">Payouts</a>
        <form method="post" action="/ops/logout"><button type="submit">Log out</button></form></header>
        <main>\(body)</main></body></html>
        """
    }

    static func loginPage(error: String?) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Log in · payout-gateway</title>
        <style>body{font:14px system-ui,sans-serif;display:flex;justify-content:center;margin-top:80px;background:#f6f7f9}
        form{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:24px;width:340px}
        input{width:100%;box-sizing:border-box;margin:8px 0 16px;padding:6px}.bad{color:#b3261e}</style></head>
        <body><form method="post" action="/ops/login"><h1>payout-gateway operations</h1>
        \(error.map { "<p class=\"bad\">\(escape($0))</p>" } ?? "")
        <label for="token">Operator token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <button type="submit">Log in</button></form></body></html>
        """
    }

    static func table(_ headers: [String], _ rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\">\(escape(empty))</p>" }
        let head = headers.map { "<th>\(escape($0))</th>" }.joined()
        // Cells are already HTML (escaped by their makers).
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    /// A bar chart of per-minute counts (calls in grey, failures in red), 60 bars.
    static func sparkline(calls: [Int], failures: [Int], label: String) -> String {
        let width = 240.0, height = 36.0
        let top = Double(max(calls.max() ?? 0, 1))
        let bar = width / Double(max(calls.count, 1))
        var shapes = ""
        for (index, count) in calls.enumerated() {
            let x = Double(index) * bar
            let h = Double(count) / top * height
            let f = Double(failures[index]) / top * height
            if count > 0 { shapes += "<rect x=\"\(format(x))\" y=\"\(format(height - h))\" width=\"\(format(bar * 0.8))\" height=\"\(format(h))\" fill=\"#9aa6b8\"/>" }
            if failures[index] > 0 { shapes += "<rect x=\"\(format(x))\" y=\"\(format(height - f))\" width=\"\(format(bar * 0.8))\" height=\"\(format(f))\" fill=\"#b3261e\"/>" }
        }
        return "<svg role=\"img\" aria-label=\"\(escape(label))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\"><title>\(escape(label))</title>\(shapes)</svg>"
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func age(_ millis: Int64) -> String {
        let seconds = max(0, millis / 1000)
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7_200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3_600) h" }
        return "\(seconds / 86_400) d"
    }

    static func time(_ millis: Int64) -> String {
        escape(JSONLogHandler.timestamp(Date(timeIntervalSince1970: Double(millis) / 1000)))
    }
}
