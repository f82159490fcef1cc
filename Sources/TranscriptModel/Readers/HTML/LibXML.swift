import CLibXML2

/// The few libxml2 functions the HTML reader and the HTML report use, from the `CLibXML2` module
/// (see its shim.h for why ICU is hidden from Swift).
package struct LibXML: @unchecked Sendable {
    package typealias Ptr = OpaquePointer
    package typealias XChar = UnsafePointer<UInt8>

    package let initParser: @convention(c) () -> Void
    // Building documents.
    package let htmlNewDocNoDtD: @convention(c) (XChar?, XChar?) -> Ptr?
    package let newDocNode: @convention(c) (Ptr?, Ptr?, XChar?, XChar?) -> Ptr?
    package let docSetRootElement: @convention(c) (Ptr?, Ptr?) -> Ptr?
    package let newChild: @convention(c) (Ptr?, Ptr?, XChar?, XChar?) -> Ptr?
    package let setProp: @convention(c) (Ptr?, XChar?, XChar?) -> Ptr?
    package let nodeAddContent: @convention(c) (Ptr?, XChar?) -> Void
    package let freeDoc: @convention(c) (Ptr?) -> Void
    // Serialising.
    package let bufferCreate: @convention(c) () -> Ptr?
    package let bufferFree: @convention(c) (Ptr?) -> Void
    package let bufferContent: @convention(c) (Ptr?) -> XChar?
    package let bufferLength: @convention(c) (Ptr?) -> Int32
    package let htmlNodeDump: @convention(c) (Ptr?, Ptr?, Ptr?) -> Int32
    // Parsing and walking.
    package let htmlReadMemory: @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32) -> Ptr?
    package let xmlReadMemory: @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32) -> Ptr?
    package let readerWalker: @convention(c) (Ptr?) -> Ptr?
    package let readerRead: @convention(c) (Ptr?) -> Int32
    package let readerNodeType: @convention(c) (Ptr?) -> Int32
    package let readerConstLocalName: @convention(c) (Ptr?) -> XChar?
    package let readerConstValue: @convention(c) (Ptr?) -> XChar?
    package let readerIsEmptyElement: @convention(c) (Ptr?) -> Int32
    package let freeTextReader: @convention(c) (Ptr?) -> Void
    // Errors (tests).
    package let setStructuredErrorFunc: @convention(c) (UnsafeMutableRawPointer?, (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void)?) -> Void

    /// HTML parser options (`HTMLparser.h`).
    package static let parseRecover: Int32 = 1 << 0
    package static let parseNoError: Int32 = 1 << 5
    package static let parseNoWarning: Int32 = 1 << 6
    package static let parseNoNet: Int32 = 1 << 11
    package static let parseNoBlanks: Int32 = 1 << 8
    /// XML parser options (`parser.h`): the same bits for recover, no errors, no warnings, no network. Entity
    /// substitution (`XML_PARSE_NOENT`) and DTD loading stay off: no external entities, no entity bombs.
    package static let xmlParseRecover: Int32 = 1 << 0
    package static let xmlParseNoError: Int32 = 1 << 5
    package static let xmlParseNoWarning: Int32 = 1 << 6
    package static let xmlParseNoNet: Int32 = 1 << 11

    /// Reader node types (`xmlreader.h`).
    package enum NodeType: Int32 {
        case element = 1, text = 3, cdata = 4, entityReference = 5, comment = 8, whitespace = 13,
             significantWhitespace = 14, endElement = 15
    }

    /// Made once (and `xmlInitParser` run once, before any thread uses the parser).
    package static let shared: LibXML? = LibXML()

    private init?() {
        // Bound through the CLibXML2 module map; the table keeps the rest of the code free of libxml2's
        // typed pointers (every entry takes plain pointers and ints).
        let initParser: @convention(c) () -> Void = { xmlInitParser() }
        let htmlNewDocNoDtD: @convention(c) (XChar?, XChar?) -> Ptr? = { OpaquePointer(CLibXML2.htmlNewDocNoDtD($0, $1)) }
        let newDocNode: @convention(c) (Ptr?, Ptr?, XChar?, XChar?) -> Ptr? = {
            OpaquePointer(xmlNewDocNode(UnsafeMutablePointer<xmlDoc>($0), UnsafeMutablePointer<xmlNs>($1), $2, $3))
        }
        let docSetRootElement: @convention(c) (Ptr?, Ptr?) -> Ptr? = {
            OpaquePointer(xmlDocSetRootElement(UnsafeMutablePointer<xmlDoc>($0), UnsafeMutablePointer<xmlNode>($1)))
        }
        let newChild: @convention(c) (Ptr?, Ptr?, XChar?, XChar?) -> Ptr? = {
            OpaquePointer(xmlNewChild(UnsafeMutablePointer<xmlNode>($0), UnsafeMutablePointer<xmlNs>($1), $2, $3))
        }
        let setProp: @convention(c) (Ptr?, XChar?, XChar?) -> Ptr? = {
            OpaquePointer(xmlSetProp(UnsafeMutablePointer<xmlNode>($0), $1, $2))
        }
        let nodeAddContent: @convention(c) (Ptr?, XChar?) -> Void = { xmlNodeAddContent(UnsafeMutablePointer<xmlNode>($0), $1) }
        let freeDoc: @convention(c) (Ptr?) -> Void = { xmlFreeDoc(UnsafeMutablePointer<xmlDoc>($0)) }
        let bufferCreate: @convention(c) () -> Ptr? = { OpaquePointer(xmlBufferCreate()) }
        let bufferFree: @convention(c) (Ptr?) -> Void = { xmlBufferFree(UnsafeMutablePointer<xmlBuffer>($0)) }
        let bufferContent: @convention(c) (Ptr?) -> XChar? = { xmlBufferContent(UnsafeMutablePointer<xmlBuffer>($0)) }
        let bufferLength: @convention(c) (Ptr?) -> Int32 = { xmlBufferLength(UnsafeMutablePointer<xmlBuffer>($0)) }
        let htmlNodeDump: @convention(c) (Ptr?, Ptr?, Ptr?) -> Int32 = {
            CLibXML2.htmlNodeDump(UnsafeMutablePointer<xmlBuffer>($0), UnsafeMutablePointer<xmlDoc>($1),
                                  UnsafeMutablePointer<xmlNode>($2))
        }
        let htmlReadMemory: @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32) -> Ptr? = {
            OpaquePointer(CLibXML2.htmlReadMemory($0, $1, $2, $3, $4))
        }
        let xmlReadMemory: @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32) -> Ptr? = {
            OpaquePointer(CLibXML2.xmlReadMemory($0, $1, $2, $3, $4))
        }
        let readerWalker: @convention(c) (Ptr?) -> Ptr? = { xmlReaderWalker(UnsafeMutablePointer<xmlDoc>($0)) }
        let readerRead: @convention(c) (Ptr?) -> Int32 = { xmlTextReaderRead($0) }
        let readerNodeType: @convention(c) (Ptr?) -> Int32 = { xmlTextReaderNodeType($0) }
        let readerConstLocalName: @convention(c) (Ptr?) -> XChar? = { xmlTextReaderConstLocalName($0) }
        let readerConstValue: @convention(c) (Ptr?) -> XChar? = { xmlTextReaderConstValue($0) }
        let readerIsEmptyElement: @convention(c) (Ptr?) -> Int32 = { xmlTextReaderIsEmptyElement($0) }
        let freeTextReader: @convention(c) (Ptr?) -> Void = { xmlFreeTextReader($0) }
        let setStructuredErrorFunc: @convention(c) (UnsafeMutableRawPointer?, (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void)?) -> Void = {
            xmlSetStructuredErrorFunc($0, unsafeBitCast($1, to: xmlStructuredErrorFunc?.self))
        }
        self.initParser = initParser
        self.htmlNewDocNoDtD = htmlNewDocNoDtD
        self.newDocNode = newDocNode
        self.docSetRootElement = docSetRootElement
        self.newChild = newChild
        self.setProp = setProp
        self.nodeAddContent = nodeAddContent
        self.freeDoc = freeDoc
        self.bufferCreate = bufferCreate
        self.bufferFree = bufferFree
        self.bufferContent = bufferContent
        self.bufferLength = bufferLength
        self.htmlNodeDump = htmlNodeDump
        self.htmlReadMemory = htmlReadMemory
        self.xmlReadMemory = xmlReadMemory
        self.readerWalker = readerWalker
        self.readerRead = readerRead
        self.readerNodeType = readerNodeType
        self.readerConstLocalName = readerConstLocalName
        self.readerConstValue = readerConstValue
        self.readerIsEmptyElement = readerIsEmptyElement
        self.freeTextReader = freeTextReader
        self.setStructuredErrorFunc = setStructuredErrorFunc
        // libxml2 2.9 wants one xmlInitParser before several threads use it; `shared` runs this once.
        initParser()
    }

    package static func withXML<R>(_ s: String, _ body: (XChar) -> R) -> R {
        s.withCString { body(UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self)) }
    }

    package static func string(_ p: XChar?) -> String? {
        guard let p else { return nil }
        return String(cString: p)
    }

    /// Parses HTML (recovering, no network, errors silenced) and walks it node by node; the document is freed
    /// before returning. `visit` gets the node type, the element name (lower case) or nil, the text value or
    /// nil, and whether the element is empty (has no end tag event).
    package func walkHTML(_ bytes: [UInt8], options: Int32? = nil,
                          visit: (NodeType, String?, XChar?, Bool) -> Void) -> Bool {
        let opts = options ?? (LibXML.parseRecover | LibXML.parseNoError | LibXML.parseNoWarning | LibXML.parseNoNet)
        guard !bytes.isEmpty, bytes.count < Int(Int32.max) else { return false }
        // Without a declared charset libxml2 2.9 assumes Latin-1; pasted pages are nearly always UTF-8.
        let utf8 = String(validatingCString: bytes.map { CChar(bitPattern: $0) } + [0]) != nil
        let doc: Ptr? = bytes.withUnsafeBufferPointer { buf in
            UnsafeRawPointer(buf.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buf.count) {
                htmlReadMemory($0, Int32(buf.count), "input.html", utf8 ? "UTF-8" : nil, opts)
            }
        }
        return walk(doc, visit: visit)
    }

    /// Parses XML (recovering, no network, no entity substitution, errors silenced) and walks it as `walkHTML`
    /// does; element names keep their case.
    package func walkXML(_ bytes: [UInt8], visit: (NodeType, String?, XChar?, Bool) -> Void) -> Bool {
        let opts = LibXML.xmlParseRecover | LibXML.xmlParseNoError | LibXML.xmlParseNoWarning | LibXML.xmlParseNoNet
        guard !bytes.isEmpty, bytes.count < Int(Int32.max) else { return false }
        let doc: Ptr? = bytes.withUnsafeBufferPointer { buf in
            UnsafeRawPointer(buf.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buf.count) {
                xmlReadMemory($0, Int32(buf.count), "input.xml", nil, opts)
            }
        }
        return walk(doc, lowercase: false, visit: visit)
    }

    private func walk(_ doc: Ptr?, lowercase: Bool = true, visit: (NodeType, String?, XChar?, Bool) -> Void) -> Bool {
        guard let doc else { return false }
        defer { freeDoc(doc) }
        guard let reader = readerWalker(doc) else { return false }
        defer { freeTextReader(reader) }
        while readerRead(reader) == 1 {
            guard let type = NodeType(rawValue: readerNodeType(reader)) else { continue }
            switch type {
            case .element:
                let name = LibXML.string(readerConstLocalName(reader))
                visit(type, lowercase ? name?.lowercased() : name, nil, readerIsEmptyElement(reader) == 1)
            case .endElement:
                let name = LibXML.string(readerConstLocalName(reader))
                visit(type, lowercase ? name?.lowercased() : name, nil, false)
            case .text, .cdata, .whitespace, .significantWhitespace:
                visit(type, nil, readerConstValue(reader), false)
            default:
                continue
            }
        }
        return true
    }
}
