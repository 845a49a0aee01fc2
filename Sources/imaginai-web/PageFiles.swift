import Foundation

/// The page's files, read from a folder on every request: the page has no build step, and whoever
/// edits it sees the change on reload without rebuilding the server.
struct PageFiles: Sendable {
    let folder: URL

    enum Lookup {
        case file(Data, contentType: String)
        case notFound(String)
    }

    init(folder: String) {
        self.folder = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath()
    }

    /// `path` is the request's path as sent (percent-encoded). Any `.` or `..` segment, encoded or not,
    /// and any hidden name is refused outright rather than normalised: no legitimate page link has one.
    func lookup(path: String) -> Lookup {
        guard let decoded = path.removingPercentEncoding, !decoded.contains("\0"), !decoded.contains("\\") else {
            return .notFound(notFoundMessage(path))
        }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        if segments.contains(where: { $0.hasPrefix(".") }) { return .notFound(notFoundMessage(path)) }
        let relative = segments.isEmpty ? "index.html" : segments.joined(separator: "/")
        let candidate = folder.appendingPathComponent(relative).resolvingSymlinksInPath()
        // A symlink inside the folder could still point out of it.
        guard candidate.path.hasPrefix(folder.path + "/") else { return .notFound(notFoundMessage(path)) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let data = FileManager.default.contents(atPath: candidate.path)
        else { return .notFound(notFoundMessage(path)) }
        return .file(data, contentType: Self.contentType(forExtension: candidate.pathExtension))
    }

    /// Every file the page has, relative to its folder, so a 404 can say what does exist.
    func listing() -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [] }
        var names: [String] = []
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            names.append(String(url.resolvingSymlinksInPath().path.dropFirst(folder.path.count + 1)))
        }
        return names.sorted()
    }

    private func notFoundMessage(_ path: String) -> String {
        let files = listing()
        return "Not found: \(path)\nThe page is at /. Its files are:\n" + files.map { "  /" + $0 }.joined(separator: "\n")
            + "\nThe JSON-RPC WebSocket is at /rpc.\n"
    }

    static func contentType(forExtension pathExtension: String) -> String {
        switch pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json", "map": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        case "txt", "md": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
