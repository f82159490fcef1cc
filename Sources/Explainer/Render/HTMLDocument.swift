import TranscriptModel

/// A thin builder over a libxml2 HTML document tree. Input text only ever becomes text nodes
/// (`xmlNodeAddContent`) or attribute values (`xmlSetProp`), which libxml2 escapes when it serialises,
/// so markup in a transcript can never become markup in the report. The document is freed on deinit.
final class HTMLTree {
    typealias Node = OpaquePointer
    let xml: LibXML
    let doc: OpaquePointer
    let root: Node

    init?() {
        guard let xml = LibXML.shared, let doc = xml.htmlNewDocNoDtD(nil, nil) else { return nil }
        guard let root = LibXML.withXML("html", { xml.newDocNode(doc, nil, $0, nil) }) else {
            xml.freeDoc(doc)
            return nil
        }
        _ = xml.docSetRootElement(doc, root)
        self.xml = xml
        self.doc = doc
        self.root = root
    }

    deinit { xml.freeDoc(doc) }

    /// A child element with optional class, attributes and text.
    @discardableResult
    func element(_ parent: Node, _ name: String, class cls: String? = nil,
                 _ attributes: [(String, String)] = [], text: String? = nil) -> Node {
        let node = LibXML.withXML(name) { xml.newChild(parent, nil, $0, nil) }!
        if let cls { set(node, "class", cls) }
        for (k, v) in attributes { set(node, k, v) }
        if let text { self.text(node, text) }
        return node
    }

    func set(_ node: Node, _ name: String, _ value: String) {
        LibXML.withXML(name) { n in LibXML.withXML(HTMLTree.safe(value)) { v in _ = xml.setProp(node, n, v) } }
    }

    /// Appends literal text (a text node; never parsed as markup).
    func text(_ node: Node, _ s: String) {
        let clean = HTMLTree.safe(s)
        guard !clean.isEmpty else { return }
        LibXML.withXML(clean) { xml.nodeAddContent(node, $0) }
    }

    /// Our own constant text (the style sheet), kept with its line breaks.
    func constantText(_ node: Node, _ s: String) {
        LibXML.withXML(s) { xml.nodeAddContent(node, $0) }
    }

    /// Control characters (and NUL, which would cut the C string) are shown escaped, as on a terminal.
    static func safe(_ s: String) -> String { Sanitizer.terminal(s) }

    /// Serialised by libxml2's HTML writer (UTF-8, non-ASCII kept as is), after the HTML5 doctype.
    func serialise() -> String {
        guard let buf = xml.bufferCreate() else { return "" }
        defer { xml.bufferFree(buf) }
        guard xml.htmlNodeDump(buf, doc, root) >= 0, let p = xml.bufferContent(buf) else { return "" }
        let n = Int(xml.bufferLength(buf))
        return "<!DOCTYPE html>\n" + String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self) + "\n"
    }
}
