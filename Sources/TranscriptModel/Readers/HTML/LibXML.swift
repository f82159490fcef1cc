#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few libxml2 functions the HTML reader and the HTML report use, bound at run time.
///
/// Why not `import CLibXML2`: libxml2's headers pull in the system ICU (`unicode/utypes.h`), whose
/// `UErrorCode` clashes with Foundation's bundled `_FoundationICU` in any module that also imports Foundation
/// (both of ours do), and the build fails. Binding the plain C entry points with `dlsym` avoids the headers;
/// every function used here is part of libxml2's stable ABI and takes only pointers and ints.
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

    /// Reader node types (`xmlreader.h`).
    package enum NodeType: Int32 {
        case element = 1, text = 3, cdata = 4, entityReference = 5, comment = 8, whitespace = 13,
             significantWhitespace = 14, endElement = 15
    }

    /// Loaded once; nil when libxml2 is not installed (callers fall back or report it).
    package static let shared: LibXML? = LibXML()

    private init?() {
        let names = ["libxml2.so.2", "libxml2.so", "/usr/lib/libxml2.2.dylib", "libxml2.2.dylib", "libxml2.dylib"]
        var handle: UnsafeMutableRawPointer?
        for n in names {
            handle = dlopen(n, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
        }
        guard let handle else { return nil }
        func sym<T>(_ name: String, _: T.Type) -> T? {
            guard let p = dlsym(handle, name) else { return nil }
            return unsafeBitCast(p, to: T.self)
        }
        guard let initParser = sym("xmlInitParser", (@convention(c) () -> Void).self),
              let htmlNewDocNoDtD = sym("htmlNewDocNoDtD", (@convention(c) (XChar?, XChar?) -> Ptr?).self),
              let newDocNode = sym("xmlNewDocNode", (@convention(c) (Ptr?, Ptr?, XChar?, XChar?) -> Ptr?).self),
              let docSetRootElement = sym("xmlDocSetRootElement", (@convention(c) (Ptr?, Ptr?) -> Ptr?).self),
              let newChild = sym("xmlNewChild", (@convention(c) (Ptr?, Ptr?, XChar?, XChar?) -> Ptr?).self),
              let setProp = sym("xmlSetProp", (@convention(c) (Ptr?, XChar?, XChar?) -> Ptr?).self),
              let nodeAddContent = sym("xmlNodeAddContent", (@convention(c) (Ptr?, XChar?) -> Void).self),
              let freeDoc = sym("xmlFreeDoc", (@convention(c) (Ptr?) -> Void).self),
              let bufferCreate = sym("xmlBufferCreate", (@convention(c) () -> Ptr?).self),
              let bufferFree = sym("xmlBufferFree", (@convention(c) (Ptr?) -> Void).self),
              let bufferContent = sym("xmlBufferContent", (@convention(c) (Ptr?) -> XChar?).self),
              let bufferLength = sym("xmlBufferLength", (@convention(c) (Ptr?) -> Int32).self),
              let htmlNodeDump = sym("htmlNodeDump", (@convention(c) (Ptr?, Ptr?, Ptr?) -> Int32).self),
              let htmlReadMemory = sym("htmlReadMemory", (@convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32) -> Ptr?).self),
              let readerWalker = sym("xmlReaderWalker", (@convention(c) (Ptr?) -> Ptr?).self),
              let readerRead = sym("xmlTextReaderRead", (@convention(c) (Ptr?) -> Int32).self),
              let readerNodeType = sym("xmlTextReaderNodeType", (@convention(c) (Ptr?) -> Int32).self),
              let readerConstLocalName = sym("xmlTextReaderConstLocalName", (@convention(c) (Ptr?) -> XChar?).self),
              let readerConstValue = sym("xmlTextReaderConstValue", (@convention(c) (Ptr?) -> XChar?).self),
              let readerIsEmptyElement = sym("xmlTextReaderIsEmptyElement", (@convention(c) (Ptr?) -> Int32).self),
              let freeTextReader = sym("xmlFreeTextReader", (@convention(c) (Ptr?) -> Void).self),
              let setStructuredErrorFunc = sym("xmlSetStructuredErrorFunc", (@convention(c) (UnsafeMutableRawPointer?, (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?) -> Void)?) -> Void).self)
        else { return nil }
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
        let utf8 = String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]) != nil
        let doc: Ptr? = bytes.withUnsafeBufferPointer { buf in
            UnsafeRawPointer(buf.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buf.count) {
                htmlReadMemory($0, Int32(buf.count), "input.html", utf8 ? "UTF-8" : nil, opts)
            }
        }
        guard let doc else { return false }
        defer { freeDoc(doc) }
        guard let reader = readerWalker(doc) else { return false }
        defer { freeTextReader(reader) }
        while readerRead(reader) == 1 {
            guard let type = NodeType(rawValue: readerNodeType(reader)) else { continue }
            switch type {
            case .element:
                visit(type, LibXML.string(readerConstLocalName(reader))?.lowercased(), nil, readerIsEmptyElement(reader) == 1)
            case .endElement:
                visit(type, LibXML.string(readerConstLocalName(reader))?.lowercased(), nil, false)
            case .text, .cdata, .whitespace, .significantWhitespace:
                visit(type, nil, readerConstValue(reader), false)
            default:
                continue
            }
        }
        return true
    }
}
