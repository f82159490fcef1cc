import Foundation
import Testing
@testable import TranscriptModel

/// DMARC aggregate reports: one session per record, with the receiver's results as attributes.
@Suite struct DMARCReportReaderTests {
    private func sample(_ name: String) throws -> [Session] {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        var out: [Session] = []
        _ = try InputDriver.read(path: url.appendingPathComponent("samples/dmarc/" + name).path) { out.append($0) }
        return out
    }

    @Test func googleReport() throws {
        let all = try sample("google.com!shop.example!1796342400!1796428799.xml")
        #expect(all.map(\.format) == Array(repeating: "dmarc-report", count: 4))
        #expect(all.map { $0.client.address } == ["198.51.100.23", "203.0.113.80", "192.0.2.200", "198.51.100.77"])
        #expect(all.map { $0.attributes["message-count"] } == ["120", "340", "12", "3"])
        #expect(all.map { $0.attributes["auth-dmarc"] } == ["pass", "fail", "fail", "fail"])
        #expect(all.map { $0.attributes["auth-dmarc-disposition"] } == ["none", "quarantine", "quarantine", "none"])
        #expect(all.allSatisfy { $0.outcome == .delivered && $0.server.host == "google.com" && $0.attributes["auth-dmarc-policy"] == "quarantine" })
        // The ESP's pass is for its own domains: not aligned.
        #expect(all[1].attributes["auth-dkim"] == "pass" && all[1].attributes["auth-dkim-domain"] == "mailer-esp.example")
        #expect(all[1].attributes["auth-spf-domain"] == "bounces.mailer-esp.example" && all[1].attributes["dmarc-aligned-dkim"] == "fail")
        #expect(all[2].attributes["auth-dkim"] == "none" && all[2].attributes["auth-spf"] == "fail")
        #expect(all[3].attributes["dmarc-override"] == "mailing_list")
        #expect(all[0].start?.time == 1_796_428_799)
        #expect(all[1].notes.first?.text == "340 messages from 203.0.113.80 as shop.example to google.com: disposition quarantine, DKIM fail, SPF fail")
    }

    @Test func gzippedMicrosoftReportWithNamespace() throws {
        let all = try sample("enterprise.protection.outlook.com!northwind-traders.example!1796342400!1796428800.xml.gz")
        #expect(all.count == 1)
        #expect(all[0].outcome == .rejected && all[0].failedStage == .message)
        #expect(all[0].attributes["auth-dmarc-policy"] == "reject" && all[0].attributes["auth-spf"] == "softfail")
        #expect(all[0].transactions.first?.recipients.first?.address == "(recipients at contoso.example)")
    }

    @Test func zippedReports() throws {
        let all = try sample("yahoo.com!shop.example!1796342400!1796428799.xml.zip")
        #expect(all.count == 1 && all[0].format == "dmarc-report")
        #expect(all[0].attributes["dmarc-override"] == "sampled_out" && all[0].attributes["message-count"] == "96")
        // A stored entry, and a method the tool does not read.
        func zip(_ content: String, method: UInt8) -> [UInt8] {
            let body = Array(content.utf8), name = Array("r.xml".utf8)
            let size = UInt32(body.count)
            var b: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, method, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            for _ in 0..<2 { b += [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)] }
            b += [UInt8(name.count), 0, 0, 0] + name + body
            return b + [0x50, 0x4B, 0x01, 0x02] + Array(repeating: 0x41, count: 40)
        }
        let xml = "<feedback><report_metadata><org_name>x.example</org_name></report_metadata><record><row><source_ip>192.0.2.9</source_ip><count>2</count></row></record></feedback>\n"
        var out: [Session] = []
        _ = try InputDriver.read(name: "stored.zip", bytes: zip(xml, method: 0)) { out.append($0) }
        #expect(out.first?.client.address == "192.0.2.9" && out.first?.attributes["message-count"] == "2")
        #expect(throws: InputError.self) { try InputDriver.read(name: "bz.zip", bytes: zip(xml, method: 12)) { _ in } }
    }

    @Test func hostileXML() throws {
        // An external entity is not fetched or expanded; an entity bomb does not grow; broken XML says so.
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><feedback><report_metadata><org_name>&x;</org_name></report_metadata><record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record></feedback>\n"
        let s = try sessions(xxe, format: "dmarc-report")
        #expect(s.count == 1 && s[0].attributes["dmarc-report-org"] == nil && s[0].client.address == "192.0.2.1")
        var bomb = "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY a \"aaaaaaaaaa\">"
        for i in 1...9 { bomb += "<!ENTITY \(Character(UnicodeScalar(97 + i)!)) \"" + String(repeating: "&\(Character(UnicodeScalar(96 + i)!));", count: 10) + "\">" }
        bomb += "]><feedback><report_metadata><org_name>&j;</org_name></report_metadata><record><row><source_ip>192.0.2.2</source_ip></row></record></feedback>\n"
        let b = try sessions(bomb, format: "dmarc-report")
        #expect(b.count == 1 && (b[0].attributes["dmarc-report-org"]?.utf8.count ?? 0) < 10_000)
        // A date range past Int's range is not a time.
        let far = try sessions("<feedback><report_metadata><date_range><begin>1e300</begin><end>-1e300</end></date_range></report_metadata><record><row><source_ip>192.0.2.4</source_ip></row></record></feedback>\n", format: "dmarc-report")
        #expect(far.count == 1 && far[0].attributes["dmarc-report-period"] == nil)
        let broken = try sessions("<feedback><record><row><source_ip>192.0.2.3", format: "dmarc-report")
        #expect(broken.count == 1)
        let empty = try sessions("<?xml version=\"1.0\"?><feedback><report_metadata><org_name>x</org_name></report_metadata></feedback>\n")
        #expect(empty.first?.format == "dmarc-report" && empty.first?.notes.first?.text.hasPrefix("The DMARC report holds no <record>") == true)
    }
}

/// Report emails: the attachment is decoded and read as the file itself.
@Suite struct ReportMailReaderTests {
    private func read(_ bytes: [UInt8], name: String = "report.eml") throws -> (InputInfo, [Session]) {
        var out: [Session] = []
        let info = try InputDriver.read(name: name, bytes: bytes) { out.append($0) }
        return (info, out)
    }

    /// gzip through the system's gzip (the tests have no compressor of their own).
    private func gzip(_ d: Data) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-c", "-n"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(d)
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return out
    }

    private func sample(_ name: String) throws -> [UInt8] {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return Array(try Data(contentsOf: url.appendingPathComponent("samples/" + name)))
    }

    @Test func dmarcAndTLSReportEmails() throws {
        let (info, dmarc) = try read(sample("report-mail/yahoo-dmarc-report.eml"))
        #expect(info.format == "report-mail")
        #expect(dmarc.count == 1 && dmarc[0].format == "dmarc-report" && dmarc[0].attributes["message-count"] == "96")
        #expect(dmarc[0].input == "report.eml › yahoo.com!shop.example!1796342400!1796428799.xml.zip")
        let (_, tls) = try read(sample("report-mail/google-tls-report.eml"))
        #expect(tls.map(\.format) == ["tls-report", "tls-report", "tls-report"])
        // The file name folded onto the next header line.
        #expect(tls[0].input.hasSuffix("google.com!shop.example!1796342400!1796428799!001.json.gz"))
    }

    @Test func base64AndHostileAttachments() throws {
        #expect(Base64.decode(Array("aGVsbG8=".utf8)) == Array("hello".utf8))
        #expect(Base64.decode(Array("aGVs\nbG8=".utf8)) == Array("hello".utf8))
        #expect(Base64.decode(Array("aGV*bG8=".utf8)) == nil)
        let head = "Subject: Report Domain: d.example Submitter: x\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/zip; name=r.zip\nContent-Transfer-Encoding: base64\n\n"
        // Not base64; base64 of another email (never read as a report again); an empty zip.
        for (body, words) in [("!!!!", "not valid base64"),
                              (Data((head + "--b--\n").utf8).base64EncodedString(), "not a zip, gzip, XML or JSON file"),
                              ("UEsDBAoAAAAAAA==", "zip")] {
            let (_, s) = try read(Array((head + body + "\n--b--\n").utf8))
            #expect(s.count == 1 && s[0].notes.first?.text.contains(words) == true, "\(words): \(s.first?.notes.first?.text ?? "-")")
        }
        // A gzip holding a report email again is not followed (a gzip quine would never end).
        var inner = Data((head + Data("{\"policies\":[]}".utf8).base64EncodedString() + "\n--b--\n").utf8)
        inner = try gzip(inner)
        let (_, nested) = try read(Array((head + inner.base64EncodedString() + "\n--b--\n").utf8))
        #expect(nested.first?.notes.first?.text.contains("holds another report email") == true)
        let (_, none) = try read(Array((head + "--b--\n").utf8))
        #expect(none.count == 1 && none.first?.notes.first?.text.hasPrefix("The report attachment is empty.") == true)
    }
}
