import Foundation
import Support

/// A point or direction in metres: x along the room's width, y along its length, z up.
public struct Vec3: Sendable {
    public var x, y, z: Double
    public init(_ x: Double, _ y: Double, _ z: Double) { self.x = x; self.y = y; self.z = z }
    static func + (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x + b.x, a.y + b.y, a.z + b.z) }
    static func - (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x - b.x, a.y - b.y, a.z - b.z) }
    static func * (a: Vec3, k: Double) -> Vec3 { Vec3(a.x * k, a.y * k, a.z * k) }
    func dot(_ b: Vec3) -> Double { x * b.x + y * b.y + z * b.z }
    var length: Double { dot(self).squareRoot() }
    subscript(axis: Int) -> Double { axis == 0 ? x : (axis == 1 ? y : z) }
}

/// An axis-aligned box standing on the floor (furniture, pillars, cabinets).
public struct Obstacle: Sendable {
    public var lo: Vec3
    public var hi: Vec3
    /// Fraction of sound energy scattered back.
    public var reflectivity: Double
    /// Dark or shiny surfaces the depth sensor cannot measure.
    public var dark: Bool
}

/// What a ray hits: distance along the ray, the surface normal, and which surface.
struct Hit {
    var t: Double
    var normal: Vec3
    /// 0...5 for the walls (x-, x+, y-, y+, floor, ceiling), 6... for obstacles.
    var surface: Int
}

/// A box room with a few box obstacles: the scene both the depth camera and the echoes see.
public struct Room: Sendable {
    public var size: Vec3
    public var obstacles: [Obstacle]
    public var wallReflectivity: Double

    /// Rooms in the style of a location: big halls, small offices or long corridors.
    public static func random(style: Int, rng: inout SeededRandom) -> Room {
        let size: Vec3
        switch style % 3 {
        case 0: size = Vec3(rng.uniform(6, 11), rng.uniform(7, 13), rng.uniform(3, 4.5))    // hall
        case 1: size = Vec3(rng.uniform(3, 5.5), rng.uniform(3.5, 7), rng.uniform(2.4, 3))  // office
        default: size = Vec3(rng.uniform(1.8, 3), rng.uniform(8, 14), rng.uniform(2.4, 3.2)) // corridor
        }
        var obstacles: [Obstacle] = []
        let count = rng.int(1...4)
        for _ in 0..<count {
            let w = rng.uniform(0.3, min(1.6, size.x * 0.4))
            let d = rng.uniform(0.3, min(1.6, size.y * 0.3))
            let h = rng.uniform(0.4, min(2.2, size.z - 0.2))
            let x = rng.uniform(0, size.x - w)
            let y = rng.uniform(0, size.y - d)
            obstacles.append(Obstacle(lo: Vec3(x, y, 0), hi: Vec3(x + w, y + d, h),
                                      reflectivity: rng.uniform(0.3, 0.9), dark: rng.uniform(0, 1) < 0.2))
        }
        return Room(size: size, obstacles: obstacles, wallReflectivity: rng.uniform(0.5, 0.9))
    }

    /// Whether a point is free (inside the room, outside every obstacle, with a margin).
    func isFree(_ p: Vec3, margin: Double) -> Bool {
        guard p.x > margin, p.y > margin, p.x < size.x - margin, p.y < size.y - margin else { return false }
        for o in obstacles where p.x > o.lo.x - margin && p.x < o.hi.x + margin
            && p.y > o.lo.y - margin && p.y < o.hi.y + margin && p.z < o.hi.z + margin { return false }
        return true
    }

    /// The first surface a ray from inside the room meets.
    func cast(from o: Vec3, _ d: Vec3) -> Hit {
        // Leaving the room: the nearest of the three walls the ray heads for.
        var best = Hit(t: .infinity, normal: Vec3(0, 0, 1), surface: 4)
        for axis in 0..<3 {
            let dv = d[axis]
            guard dv != 0 else { continue }
            let wall = dv > 0 ? size[axis] : 0
            let t = (wall - o[axis]) / dv
            if t < best.t {
                var n = Vec3(0, 0, 0)
                if axis == 0 { n.x = dv > 0 ? -1 : 1 } else if axis == 1 { n.y = dv > 0 ? -1 : 1 } else { n.z = dv > 0 ? -1 : 1 }
                best = Hit(t: t, normal: n, surface: axis * 2 + (dv > 0 ? 1 : 0))
            }
        }
        // Entering an obstacle (slab test).
        for (k, b) in obstacles.enumerated() {
            var tNear = -Double.infinity
            var tFar = Double.infinity
            var nearAxis = 0
            var blocked = false
            for axis in 0..<3 {
                let dv = d[axis], ov = o[axis]
                if dv == 0 {
                    if ov < b.lo[axis] || ov > b.hi[axis] { blocked = true; break }
                    continue
                }
                var t1 = (b.lo[axis] - ov) / dv
                var t2 = (b.hi[axis] - ov) / dv
                if t1 > t2 { swap(&t1, &t2) }
                if t1 > tNear { tNear = t1; nearAxis = axis }
                tFar = min(tFar, t2)
            }
            if blocked || tNear > tFar || tNear <= 1e-9 || tNear >= best.t { continue }
            var n = Vec3(0, 0, 0)
            let s = d[nearAxis] > 0 ? -1.0 : 1.0
            if nearAxis == 0 { n.x = s } else if nearAxis == 1 { n.y = s } else { n.z = s }
            best = Hit(t: tNear, normal: n, surface: 6 + k)
        }
        return best
    }

    func reflectivity(of surface: Int) -> Double {
        surface >= 6 ? obstacles[surface - 6].reflectivity : wallReflectivity
    }

    func isDark(_ surface: Int) -> Bool { surface >= 6 && obstacles[surface - 6].dark }
}

/// Where the rig stands and looks: camera, speaker and the two microphones ride together.
public struct RigPose: Sendable {
    public var position: Vec3
    public var yaw: Double

    var forward: Vec3 { Vec3(cos(yaw), sin(yaw), 0) }
    var right: Vec3 { Vec3(sin(yaw), -cos(yaw), 0) }
    var up: Vec3 { Vec3(0, 0, 1) }

    /// A free spot at head height, looking in any horizontal direction.
    static func random(in room: Room, rng: inout SeededRandom) -> RigPose {
        for _ in 0..<200 {
            let p = Vec3(rng.uniform(0.4, room.size.x - 0.4), rng.uniform(0.4, room.size.y - 0.4), rng.uniform(1.0, 1.6))
            if room.isFree(p, margin: 0.3) { return RigPose(position: p, yaw: rng.uniform(0, 2 * Double.pi)) }
        }
        return RigPose(position: Vec3(room.size.x / 2, room.size.y / 2, 1.3), yaw: rng.uniform(0, 2 * Double.pi))
    }
}
