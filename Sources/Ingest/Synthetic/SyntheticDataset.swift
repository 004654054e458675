import Foundation
import Support

/// Writes a synthetic Batvision dataset in the exact on-disk format of V1 or V2
/// (SPEC section 1 and 6). Same options and seed give byte-identical files.
public struct SyntheticDataset {
    public var kind: DatasetKind
    public var seed: UInt64
    public var samples: Int
    public var depthHeight: Int
    public var depthWidth: Int
    /// Samples recorded per room; rooms, not samples, are split into train/val/test.
    public var samplesPerRoom = 10
    public var showProgress = isatty(STDERR_FILENO) != 0

    public static let v2Locations = ["synth_hall", "synth_office", "synth_corridor"]

    public init(kind: DatasetKind, seed: UInt64 = 0, samples: Int, depthHeight: Int? = nil, depthWidth: Int? = nil) {
        self.kind = kind
        self.seed = seed
        self.samples = samples
        // V2's sensor gives 720x1280; V1's depth maps are smaller.
        self.depthHeight = depthHeight ?? (kind == .batvisionv2 ? 720 : 480)
        self.depthWidth = depthWidth ?? (kind == .batvisionv2 ? 1280 : 640)
    }

    /// Audio length per sample: V2's recordings have 20000 frames, V1's ears 4410 (100 ms).
    public var frames: Int { kind == .batvisionv2 ? 20000 : 4410 }

    struct Plan {
        var rooms: Int
        var roomSplit: [Split]
        var roomLocation: [Int]
    }

    /// Rooms, their splits (about 70/15/15, at least one room each when there are three)
    /// and, for V2, their location folder.
    func plan() -> Plan {
        let rooms = max(min(samples, 3), (samples + samplesPerRoom - 1) / samplesPerRoom)
        var order = Array(0..<rooms)
        var rng = SeededRandom(seed: seed, stream: 0xC0FFEE)
        order.shuffle(using: &rng)
        let held = rooms >= 3 ? max(1, Int((Double(rooms) * 0.15).rounded())) : 0
        var split = [Split](repeating: .train, count: rooms)
        for (rank, room) in order.enumerated() {
            if rank < held { split[room] = .test } else if rank < 2 * held { split[room] = .val }
        }
        return Plan(rooms: rooms, roomSplit: split, roomLocation: (0..<rooms).map { $0 % Self.v2Locations.count })
    }

    public struct Summary {
        public var samples: Int
        public var rooms: Int
        public var perSplit: [Split: Int]
        public var bytes: Int
    }

    /// Writes the dataset under `root`, which must be empty or absent unless `overwrite`.
    @discardableResult
    public func write(to root: URL, overwrite: Bool = false) throws -> Summary {
        guard samples > 0, depthHeight > 0, depthWidth > 0 else {
            throw IngestError.invalidArgument("synth needs --samples, --depth_height and --depth_width above 0")
        }
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: root.path), !existing.isEmpty, !overwrite {
            throw IngestError.invalidArgument("\(root.path): folder is not empty; pass --overwrite to write into it anyway")
        }
        let plan = plan()
        let rooms = (0..<plan.rooms).map { r -> Room in
            var rng = SeededRandom(seed: seed, stream: 1_000_000 + UInt64(r))
            let style = kind == .batvisionv2 ? plan.roomLocation[r] : r % 3
            return Room.random(style: style, rng: &rng)
        }
        let camera = DepthCamera(width: depthWidth, height: depthHeight, maxRange: kind == .batvisionv2 ? 14 : 11)
        let echoes = EchoSimulator(frames: frames)
        let progress = ProgressReporter(label: "synth", total: samples, enabled: showProgress)

        let written = Parallelism.allCores.map(samples) { i -> Result<Int, Error> in
            defer { progress.advance() }
            let roomIndex = i % plan.rooms
            var rng = SeededRandom(seed: seed, stream: 2_000_000 + UInt64(i))
            let room = rooms[roomIndex]
            let pose = RigPose.random(in: room, rng: &rng)
            let pixels = camera.render(room, pose, noise: rng.next())
            let audio = echoes.record(room, pose, rng: &rng)
            do {
                var bytes = 0
                for (rel, data) in files(sample: i, room: roomIndex, plan: plan, pixels: pixels, audio: audio, rng: &rng) {
                    try writeFile(data, to: root.appendingPathComponent(rel))
                    bytes += data.count
                }
                return .success(bytes)
            } catch {
                return .failure(error)
            }
        }
        progress.finish()
        var bytes = 0
        for result in written { bytes += try result.get() }
        for (rel, text) in csvFiles(plan: plan) {
            let data = Data(text.utf8)
            try writeFile(data, to: root.appendingPathComponent(rel))
            bytes += data.count
        }
        var perSplit: [Split: Int] = [:]
        for i in 0..<samples { perSplit[plan.roomSplit[i % plan.rooms], default: 0] += 1 }
        return Summary(samples: samples, rooms: plan.rooms, perSplit: perSplit, bytes: bytes)
    }

    private func names(sample i: Int, room: Int, plan: Plan) -> (audio: [String], depth: String) {
        switch kind {
        case .batvisionv2:
            let loc = Self.v2Locations[plan.roomLocation[room]]
            return (["\(loc)/audio/audio_\(i).wav"], "\(loc)/depth/depth_\(i).npy")
        case .batvisionv1:
            let dir = String(format: "room_%03d", room)
            return (["\(dir)/audio/\(i)_left.npy", "\(dir)/audio/\(i)_right.npy"], "\(dir)/depth/\(i).npy")
        }
    }

    private func files(sample i: Int, room: Int, plan: Plan, pixels: [DepthCamera.Pixel], audio: [[Float]],
                       rng: inout SeededRandom) -> [(String, Data)] {
        let n = names(sample: i, room: room, plan: plan)
        let shape = [depthHeight, depthWidth]
        switch kind {
        case .batvisionv2:
            // uint16 millimetres, 0 where the sensor has no measurement.
            let mm = pixels.map { p -> UInt16 in
                if case let .depth(z) = p { return UInt16(min(65535, max(1, (z * 1000).rounded()))) }
                return 0
            }
            return [(n.audio[0], WAVWriter.pcm32(channels: audio, sampleRate: Ingestor.sampleRate)),
                    (n.depth, NPYWriter.encode(mm, shape: shape))]
        case .batvisionv1:
            // float32 millimetres with a little noise; NaN where nothing returned, +inf
            // beyond the range and -inf too close, as the ZED camera reports them.
            var mm = [Float](repeating: 0, count: pixels.count)
            for (k, p) in pixels.enumerated() {
                switch p {
                case let .depth(z): mm[k] = Float(z * 1000 * (1 + 0.002 * rng.normal()))
                case .tooFar: mm[k] = .infinity
                case .tooClose: mm[k] = -.infinity
                case .noReturn: mm[k] = .nan
                }
            }
            return [(n.audio[0], NPYWriter.encode(audio[0], shape: [frames])),
                    (n.audio[1], NPYWriter.encode(audio[1], shape: [frames])),
                    (n.depth, NPYWriter.encode(mm, shape: shape))]
        }
    }

    /// The split CSVs, rows in sample order, with an extra column the readers must ignore.
    private func csvFiles(plan: Plan) -> [(String, String)] {
        switch kind {
        case .batvisionv1:
            var text: [Split: String] = [:]
            for split in Split.allCases { text[split] = "depth path,audio path left,audio path right,room\n" }
            for i in 0..<samples {
                let room = i % plan.rooms
                let n = names(sample: i, room: room, plan: plan)
                text[plan.roomSplit[room], default: ""] += "\(n.depth),\(n.audio[0]),\(n.audio[1]),\(room)\n"
            }
            return Split.allCases.map { ("\($0.rawValue).csv", text[$0] ?? "") }
        case .batvisionv2:
            var out: [(String, String)] = []
            for (l, loc) in Self.v2Locations.enumerated() {
                var text: [Split: String] = [:]
                for split in Split.allCases { text[split] = "depth path,depth file name,audio path,audio file name,room\n" }
                for i in 0..<samples where plan.roomLocation[i % plan.rooms] == l {
                    let room = i % plan.rooms
                    text[plan.roomSplit[room], default: ""] += "\(loc)/depth,depth_\(i).npy,\(loc)/audio,audio_\(i).wav,\(room)\n"
                }
                if plan.roomLocation.contains(l) {
                    for split in Split.allCases { out.append(("\(loc)/\(split.rawValue).csv", text[split] ?? "")) }
                }
            }
            return out
        }
    }
}
