import Foundation
import Ingest
import Testing

@Suite struct CSVTests {
    @Test func rfc4180QuotingCRLFAndBOM() throws {
        let text = "\u{FEFF}depth path,audio path,note\r\n\"a,b.npy\",x.wav,\"say \"\"hi\"\"\"\r\nd.npy,\"multi\r\nline.wav\",\r\n\r\n"
        let t = try CSVTable(text: text, path: "t.csv")
        #expect(t.header == ["depth path", "audio path", "note"])
        #expect(t.rows.count == 2)
        #expect(t.rows[0].fields == ["a,b.npy", "x.wav", "say \"hi\""])
        #expect(t.rows[0].line == 2)
        #expect(t.rows[1].fields == ["d.npy", "multi\r\nline.wav", ""])
        #expect(t.rows[1].line == 3)
        #expect(t.column("audio path") == 1 && t.column("missing") == nil)
    }

    @Test func tabSeparatedV1Form() throws {
        let t = try CSVTable(text: "raw_l\traw_r\tdepth\nl.npy\tr.npy\td.npy\n", path: "t.tsv")
        #expect(t.separator == "\t")
        #expect(t.column("raw_r") == 1)
        #expect(t.rows[0].fields == ["l.npy", "r.npy", "d.npy"])
    }

    @Test func malformedQuotingIsAnErrorWithTheLine() {
        #expect(throws: IngestError.csv(path: "q.csv", line: 2, reason: "quoted field is not closed before the end of the file")) {
            try CSVTable(text: "a,b\n\"open,x\n", path: "q.csv")
        }
        #expect(throws: IngestError.self) { try CSVTable(text: "a,b\nx\"y,z\n", path: "q.csv") }
        #expect(throws: IngestError.self) { try CSVTable(text: "", path: "empty.csv") }
    }
}
