import Foundation
import Ingest
import Testing
import TestSupport

@Suite struct AudioTests {
    @Test func realSampleDecodesBitExactlyToTheGolden() throws {
        let clip = try AudioDecoder.decode(contentsOf: Fixtures.realWAV)
        #expect(clip.channels == 2 && clip.sampleRate == 44100 && clip.frames == 20000 && clip.encoding == "PCM_32")
        let golden = try Fixtures.npy("goldens/dsp/bv2_real.waveform.npy")
        #expect(golden.shape == [2, 20000])
        #expect(clip.samples.count == golden.values.count)
        let mismatches = zip(clip.samples, golden.values).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(mismatches == 0)
    }

    @Test func writerRoundTripsThroughLibsndfile() throws {
        let left: [Float] = (0..<1000).map { sin(Float($0) * 0.01) * 0.5 }
        let right: [Float] = (0..<1000).map { Float($0 % 7) / 8 - 0.5 }
        let data = WAVWriter.pcm32(channels: [left, right], sampleRate: 44100)
        #expect(data.count == 44 + 8000)
        let clip = try AudioDecoder.decode(data, path: "rt.wav")
        #expect(clip.frames == 1000 && clip.channels == 2)
        #expect(maxAbsoluteError(Array(clip.channel(0)), left) < 1e-7)
        #expect(maxAbsoluteError(Array(clip.channel(1)), right) < 1e-7)
    }

    @Test func truncatedAndGarbageFilesAreErrorsNamingTheFile() throws {
        let real = try Data(contentsOf: Fixtures.realWAV)
        for broken in [real.prefix(real.count - 1000), real.prefix(60), Data("not a wav at all, just text".utf8)] {
            #expect(throws: IngestError.self) { try AudioDecoder.decode(Data(broken), path: "broken.wav") }
            do { _ = try AudioDecoder.decode(Data(broken), path: "broken.wav") } catch {
                #expect("\(error)".contains("broken.wav"))
            }
        }
        do { _ = try AudioDecoder.decode(Data(real.prefix(real.count - 1000)), path: "t.wav") } catch {
            #expect("\(error)".contains("truncated"))
        }
    }
}
