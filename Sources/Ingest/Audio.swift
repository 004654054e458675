import CSndfile
import Foundation
import Support

/// Decoded audio: float32 samples laid out [channels, frames] (channel-major, as the
/// reference's `torch.from_numpy(a.T)`), with what the file header said.
public struct AudioClip: Sendable {
    public var channels: Int
    public var sampleRate: Int
    public var frames: Int
    /// The stored sample type: `PCM_16`, `PCM_24`, `PCM_32`, `FLOAT`, ... or an .npy dtype.
    public var encoding: String
    public var samples: [Float]

    public init(channels: Int, sampleRate: Int, frames: Int, encoding: String, samples: [Float]) {
        self.channels = channels
        self.sampleRate = sampleRate
        self.frames = frames
        self.encoding = encoding
        self.samples = samples
    }

    /// One channel's samples.
    public func channel(_ c: Int) -> ArraySlice<Float> { samples[(c * frames)..<((c + 1) * frames)] }
}

/// Decodes audio files through libsndfile, scaled as soundfile/torchaudio do
/// (integer PCM / 2^(bits-1), so PCM_32 becomes int / 2^31 in [-1, 1)).
public enum AudioDecoder {
    /// Decodes a file already read into memory (it is hashed from the same bytes).
    public static func decode(_ data: Data, path: String) throws -> AudioClip {
        var clip = AudioClip(channels: 0, sampleRate: 0, frames: 0, encoding: "", samples: [])
        var scratch: [Float] = []
        try data.withUnsafeBytes { try decode($0, path: path, into: &clip, scratch: &scratch) }
        return clip
    }

    /// Decodes into `clip`, reusing its sample storage and `scratch` (hot loops call this
    /// per sample without allocating).
    public static func decode(_ raw: UnsafeRawBufferPointer, path: String, into clip: inout AudioClip,
                              scratch interleaved: inout [Float]) throws {
        func fail(_ reason: String) -> IngestError { .audio(path: path, reason: reason) }
        if raw.count >= 12, raw.prefix(4).elementsEqual("RIFF".utf8) || raw.prefix(4).elementsEqual("RF64".utf8),
           raw[8..<12].elementsEqual("WAVE".utf8) {
            try WAVChunks.check(raw, path: path)
        }
        let source = MemorySource(raw)
        var io = SF_VIRTUAL_IO(
            get_filelen: { ctx in MemorySource.from(ctx)?.length ?? 0 },
            seek: { offset, whence, ctx in MemorySource.from(ctx)?.seek(offset, whence) ?? -1 },
            read: { ptr, count, ctx in MemorySource.from(ctx)?.read(ptr, count) ?? 0 },
            write: { _, _, _ in 0 },
            tell: { ctx in MemorySource.from(ctx)?.position ?? 0 })
        var info = SF_INFO()
        let handle = withExtendedLifetime(source) {
            sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(source).toOpaque())
        }
        guard let file = handle else { throw fail(String(cString: sf_strerror(nil))) }
        defer { sf_close(file) }
        // Batvision V2 audio is WAV: an AIFF, FLAC or MP3 renamed .wav is refused by name.
        let container = Int(info.format) & Int(SF_FORMAT_TYPEMASK)
        guard [Int(SF_FORMAT_WAV), Int(SF_FORMAT_WAVEX), Int(SF_FORMAT_RF64)].contains(container) else {
            throw fail("not a WAV file: its content is \(containerName(container)); Batvision V2 recordings are WAV")
        }
        let channels = Int(info.channels)
        let frames = Int(info.frames)
        guard channels > 0, frames >= 0 else { throw fail("header has \(channels) channels and \(frames) frames") }
        // A lying header must not make us allocate more than the file could hold.
        let (total, overflow) = frames.multipliedReportingOverflow(by: channels)
        guard !overflow, total <= max(16 * raw.count, 1 << 16) else {
            throw fail("header claims \(frames) frames x \(channels) channels, more than a \(raw.count)-byte file can hold")
        }
        if interleaved.count < total { interleaved = [Float](repeating: 0, count: total) }
        let read = interleaved.withUnsafeMutableBufferPointer { buf in
            withExtendedLifetime(source) { sf_readf_float(file, buf.baseAddress, sf_count_t(frames)) }
        }
        guard Int(read) == frames else { throw fail("truncated: header says \(frames) frames, only \(read) could be decoded") }
        if clip.samples.count != total { clip.samples = [Float](repeating: 0, count: total) }
        clip.samples.withUnsafeMutableBufferPointer { planar in
            interleaved.withUnsafeBufferPointer { inter in
                for f in 0..<frames {
                    for c in 0..<channels { planar[c * frames + f] = inter[f * channels + c] }
                }
            }
        }
        clip.channels = channels
        clip.sampleRate = Int(info.samplerate)
        clip.frames = frames
        clip.encoding = encodingName(info.format)
    }

    public static func decode(contentsOf url: URL) throws -> AudioClip {
        try decode(try readFile(url), path: url.path)
    }

    static func containerName(_ type: Int) -> String {
        switch type {
        case Int(SF_FORMAT_AIFF): return "AIFF"
        case Int(SF_FORMAT_AU): return "AU"
        case Int(SF_FORMAT_FLAC): return "FLAC"
        case Int(SF_FORMAT_OGG): return "Ogg"
        case Int(SF_FORMAT_CAF): return "CAF"
        case Int(SF_FORMAT_W64): return "Wave64"
        case 0x230000: return "MPEG audio (MP3)"  // SF_FORMAT_MPEG, libsndfile >= 1.1
        default: return String(format: "libsndfile format 0x%06x", type)
        }
    }

    static func encodingName(_ format: Int32) -> String {
        switch Int(format) & Int(SF_FORMAT_SUBMASK) {
        case Int(SF_FORMAT_PCM_S8): return "PCM_S8"
        case Int(SF_FORMAT_PCM_U8): return "PCM_U8"
        case Int(SF_FORMAT_PCM_16): return "PCM_16"
        case Int(SF_FORMAT_PCM_24): return "PCM_24"
        case Int(SF_FORMAT_PCM_32): return "PCM_32"
        case Int(SF_FORMAT_FLOAT): return "FLOAT"
        case Int(SF_FORMAT_DOUBLE): return "DOUBLE"
        default: return String(format: "0x%04x", Int(format) & Int(SF_FORMAT_SUBMASK))
        }
    }
}

/// Reads from memory for libsndfile's virtual I/O.
private final class MemorySource {
    let base: UnsafeRawBufferPointer
    var position: sf_count_t = 0
    var length: sf_count_t { sf_count_t(base.count) }

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    /// libsndfile hands back the pointer we gave sf_open_virtual.
    static func from(_ ctx: UnsafeMutableRawPointer?) -> MemorySource? {
        guard let ctx else { return nil }
        return Unmanaged<MemorySource>.fromOpaque(ctx).takeUnretainedValue()
    }

    func seek(_ offset: sf_count_t, _ whence: Int32) -> sf_count_t {
        let target: sf_count_t
        switch whence {
        case SEEK_SET: target = offset
        case SEEK_CUR: target = position + offset
        case SEEK_END: target = length + offset
        default: return -1
        }
        guard target >= 0 else { return -1 }
        position = min(target, length)
        return position
    }

    func read(_ ptr: UnsafeMutableRawPointer?, _ count: sf_count_t) -> sf_count_t {
        guard let ptr, count > 0, position < length else { return 0 }
        let n = min(count, length - position)
        if let src = base.baseAddress {
            ptr.copyMemory(from: src + Int(position), byteCount: Int(n))
        }
        position += n
        return n
    }
}

/// RIFF/WAVE and RF64 chunk sizes must agree with the file's length; libsndfile quietly
/// reads a truncated file as a shorter one, so a cut-off download would pass unnoticed.
/// RF64 (files over 4 GB) keeps the real sizes in its `ds64` chunk: the RIFF size, the
/// data size and the frame count there are held to the file too.
enum WAVChunks {
    static func check(_ data: UnsafeRawBufferPointer, path: String) throws {
        func fail(_ reason: String) -> IngestError { .audio(path: path, reason: reason) }
        func u16(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // ds64's 64-bit sizes, as unsigned values that cannot overflow an Int compare.
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
        let isRF64 = data.prefix(4).elementsEqual("RF64".utf8)
        var ds64: (riff: UInt64, data: UInt64, frames: UInt64)?
        if isRF64 {
            guard data.count >= 20 + 28, data[12..<16].elementsEqual("ds64".utf8), u32(16) >= 28 else {
                throw fail("an RF64 file must start with a 'ds64' chunk of at least 28 bytes")
            }
            ds64 = (u64(20), u64(28), u64(36))
            guard ds64!.riff <= UInt64(data.count - 8) else {
                throw fail("truncated: the RF64 ds64 chunk declares a RIFF size of \(ds64!.riff) bytes, only \(data.count - 8) follow the header")
            }
        } else {
            let riffSize = u32(4)
            if riffSize + 8 > data.count {
                throw fail("truncated: RIFF header declares \(riffSize + 8) bytes, the file has \(data.count)")
            }
        }
        var blockAlign = 0
        var offset = 12
        while offset + 8 <= data.count {
            var size = u32(offset + 4)
            let id = data[offset..<(offset + 4)]
            let isData = id.elementsEqual("data".utf8)
            if isData, let ds64, size == 0xFFFF_FFFF {
                guard ds64.data <= UInt64(data.count - offset - 8) else {
                    throw fail("truncated: the RF64 ds64 chunk declares \(ds64.data) data bytes, only \(data.count - offset - 8) follow")
                }
                size = Int(ds64.data)
            }
            if offset + 8 + size > data.count {
                throw fail("truncated: chunk at byte \(offset) declares \(size) bytes, only \(data.count - offset - 8) follow")
            }
            if id.elementsEqual("fmt ".utf8), size >= 16 { blockAlign = u16(offset + 8 + 12) }
            if isData {
                if let ds64, blockAlign > 0, ds64.frames != 0, ds64.frames != UInt64(size / blockAlign) {
                    throw fail("the RF64 ds64 chunk declares \(ds64.frames) frames, the data chunk holds \(size / blockAlign)")
                }
                return
            }
            offset += 8 + size + (size & 1)
        }
        throw fail("no 'data' chunk in the WAVE file")
    }
}

/// Writes stereo PCM 32-bit WAV files like the Batvision V2 recordings (44-byte header).
public enum WAVWriter {
    public static func pcm32(channels: [[Float]], sampleRate: Int) -> Data {
        let nch = channels.count
        let frames = channels.first?.count ?? 0
        let dataBytes = frames * nch * 4
        var out = Data(capacity: 44 + dataBytes)
        func put32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8)); put32(36 + dataBytes)
        out.append(contentsOf: Array("WAVEfmt ".utf8)); put32(16)
        put16(1); put16(nch); put32(sampleRate); put32(sampleRate * nch * 4); put16(nch * 4); put16(32)
        out.append(contentsOf: Array("data".utf8)); put32(dataBytes)
        var pcm = [Int32](repeating: 0, count: frames * nch)
        for f in 0..<frames {
            for c in 0..<nch {
                // Round to the nearest step of 2^-31 and clamp to the representable range.
                let v = (Double(channels[c][f]) * 2147483648.0).rounded()
                pcm[f * nch + c] = Int32(max(-2147483648.0, min(2147483647.0, v)))
            }
        }
        pcm.withUnsafeBufferPointer { out.append(Data(buffer: $0)) }
        return out
    }
}
