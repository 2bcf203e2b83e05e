/**
 * The demo game's 3D scene: a lit ball bouncing in an open box whose back wall is the background
 * (a texture, or the theme's colour). World coordinates are the script's: 800 × 600 units, `y` down;
 * the scene maps them onto the box's front opening. Nothing here knows about patches: the page
 * calls `setBall`, `setTheme` and `setBackground`.
 */
import {
  AmbientLight,
  BoxGeometry,
  CircleGeometry,
  Color,
  DataTexture,
  DirectionalLight,
  DoubleSide,
  EdgesGeometry,
  HemisphereLight,
  LinearFilter,
  LineBasicMaterial,
  LineSegments,
  Mesh,
  MeshBasicMaterial,
  MeshStandardMaterial,
  PerspectiveCamera,
  PlaneGeometry,
  RGBAFormat,
  Scene,
  SphereGeometry,
  SRGBColorSpace,
  Texture,
  UnsignedByteType,
  WebGLRenderer,
} from 'three';
import { WORLD_HEIGHT, WORLD_WIDTH, type Ball } from '../sandbox/contract.ts';
import type { DecodedTexels, DecodedTexture } from './texture.ts';

/** Depth of the box, in world units. */
const DEPTH = 300;
/** The seed's colours: dark blue-grey background, red ball. */
export const DEFAULT_BACKGROUND = '#1e2832';
export const DEFAULT_BALL = '#ff6464';

/** The look a theme config sets. */
export interface SceneTheme {
  readonly background?: string;
  readonly ball?: string;
}

/** The game scene; see the file comment. */
export class GameScene {
  readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(40, 4 / 3, 10, 5000);
  private readonly ball: Mesh<SphereGeometry, MeshStandardMaterial>;
  private readonly backWall: Mesh<PlaneGeometry, MeshBasicMaterial>;
  /** Floor, ceiling, left, right: unlit, each a fixed shade of the theme colour (cheap to draw). */
  private readonly walls: MeshBasicMaterial[] = [];
  private readonly wallShadow: Mesh<CircleGeometry, MeshBasicMaterial>;
  private readonly floorShadow: Mesh<CircleGeometry, MeshBasicMaterial>;
  private texture: Texture | null = null;
  /**
   * The back wall always has a map — this 1 × 1 white one until a background arrives — so that
   * swapping in a texture never changes the material's shader: compiling a new shader variant in the
   * middle of the game is exactly the long frame a texture swap must not cause.
   */
  private readonly blank: DataTexture;
  private backgroundColor = new Color(DEFAULT_BACKGROUND);

  constructor(canvas: HTMLCanvasElement) {
    // No MSAA: it halves the frame rate where WebGL is software (SwiftShader); high-DPI screens don't need it.
    this.renderer = new WebGLRenderer({ canvas, antialias: false, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = SRGBColorSpace;

    this.scene.add(new HemisphereLight(0xdde8ff, 0x202830, 1.1));
    this.scene.add(new AmbientLight(0xffffff, 0.25));
    const sun = new DirectionalLight(0xffffff, 2.2);
    sun.position.set(-350, 500, 700);
    this.scene.add(sun);

    this.blank = new DataTexture(new Uint8Array([255, 255, 255, 255]), 1, 1);
    this.blank.colorSpace = SRGBColorSpace;
    this.blank.needsUpdate = true;
    this.backWall = new Mesh(
      new PlaneGeometry(WORLD_WIDTH, WORLD_HEIGHT),
      new MeshBasicMaterial({ color: this.backgroundColor, map: this.blank }),
    );
    this.backWall.position.z = -DEPTH / 2;
    this.scene.add(this.backWall);

    // Floor, ceiling and side walls: the inside faces of a box without front and back.
    const sides: [number, number, number, number, number, number][] = [
      // width, height, x, y, rotX, rotY
      [WORLD_WIDTH, DEPTH, 0, -WORLD_HEIGHT / 2, -Math.PI / 2, 0],
      [WORLD_WIDTH, DEPTH, 0, WORLD_HEIGHT / 2, Math.PI / 2, 0],
      [DEPTH, WORLD_HEIGHT, -WORLD_WIDTH / 2, 0, 0, Math.PI / 2],
      [DEPTH, WORLD_HEIGHT, WORLD_WIDTH / 2, 0, 0, -Math.PI / 2],
    ];
    for (const [w, h, x, y, rx, ry] of sides) {
      const material = new MeshBasicMaterial({ side: DoubleSide });
      this.walls.push(material);
      const wall = new Mesh(new PlaneGeometry(w, h), material);
      wall.position.set(x, y, 0);
      wall.rotation.set(rx, ry, 0);
      this.scene.add(wall);
    }
    this.shadeWalls();
    const edges = new LineSegments(
      new EdgesGeometry(new BoxGeometry(WORLD_WIDTH, WORLD_HEIGHT, DEPTH)),
      new LineBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.25 }),
    );
    this.scene.add(edges);

    const shadow = () =>
      new Mesh(
        new CircleGeometry(1, 40),
        new MeshBasicMaterial({ color: 0x000000, transparent: true, opacity: 0.35, depthWrite: false }),
      );
    this.wallShadow = shadow();
    this.wallShadow.position.z = -DEPTH / 2 + 0.5;
    this.scene.add(this.wallShadow);
    this.floorShadow = shadow();
    this.floorShadow.rotation.x = -Math.PI / 2;
    this.floorShadow.position.y = -WORLD_HEIGHT / 2 + 0.5;
    this.scene.add(this.floorShadow);

    this.ball = new Mesh(
      new SphereGeometry(1, 48, 32),
      new MeshStandardMaterial({ color: DEFAULT_BALL, roughness: 0.3, metalness: 0.15 }),
    );
    this.scene.add(this.ball);
    this.resize();
    // Compile every shader now, before the first frame, rather than during the game.
    this.renderer.compile(this.scene, this.camera);
  }

  /** Fits the camera so that the box's front opening fills the canvas. */
  resize(): void {
    const canvas = this.renderer.domElement;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    this.renderer.setSize(width, height, false);
    const aspect = width / Math.max(1, height);
    this.camera.aspect = aspect;
    const halfFov = (this.camera.fov * Math.PI) / 360;
    const fitHeight = (WORLD_HEIGHT * 1.08) / 2 / Math.tan(halfFov);
    const fitWidth = (WORLD_WIDTH * 1.08) / 2 / Math.tan(halfFov) / aspect;
    this.camera.position.set(0, 0, DEPTH / 2 + Math.max(fitHeight, fitWidth));
    this.camera.lookAt(0, 0, 0);
    this.camera.updateProjectionMatrix();
  }

  /** Places the ball (world coordinates). */
  setBall(ball: Ball): void {
    const x = ball.x - WORLD_WIDTH / 2;
    const y = WORLD_HEIGHT / 2 - ball.y;
    this.ball.position.set(x, y, 0);
    this.ball.scale.setScalar(ball.radius);
    this.wallShadow.position.set(x + ball.radius * 0.35, y - ball.radius * 0.45, this.wallShadow.position.z);
    this.wallShadow.scale.setScalar(ball.radius * 1.05);
    // The floor shadow grows fainter and wider as the ball rises.
    const lift = Math.min(1, Math.max(0, (y + WORLD_HEIGHT / 2) / WORLD_HEIGHT));
    this.floorShadow.position.x = x;
    this.floorShadow.scale.setScalar(ball.radius * (1 + lift));
    this.floorShadow.material.opacity = 0.4 * (1 - lift * 0.8);
  }

  /** Applies a theme's colours (a missing field goes back to the default). */
  setTheme(theme: SceneTheme): void {
    this.backgroundColor = new Color(theme.background ?? DEFAULT_BACKGROUND);
    this.ball.material.color.set(theme.ball ?? DEFAULT_BALL);
    this.shadeWalls();
    if (!this.texture) this.backWall.material.color.copy(this.backgroundColor);
  }

  /**
   * Shows a decoded image on the back wall. The GPU upload happens here, at a moment the page
   * chose, not in the middle of some later frame. The image before it is freed first, in the same
   * task (no frame comes between): the renderer can reuse its memory for the new one. Allocated while
   * the old one was still held, a 1280 × 1200 image's first frame took 52–138 ms in software WebGL
   * here — fresh memory, first touched — against 16–21 ms with the old one freed first (the frames
   * around it: 15 ms).
   *
   * Returns the texels of the image it replaced, if that was texels: nothing here uses them any more
   * (`WorkerPatchClient.reuseTexels` puts the next texture's into them).
   */
  setBackground(decoded: DecodedTexture | DecodedTexels): Uint8Array | null {
    const freed = this.freeTexture();
    let texture: Texture;
    if ('texels' in decoded) {
      // Rows top-down as stored, uploaded from the array as they are: the UV transform flips them
      // (v → 1 − v), where WebGL's unpack flip would copy them on this thread first.
      texture = new DataTexture(decoded.texels, decoded.width, decoded.height, RGBAFormat, UnsignedByteType);
      texture.center.set(0.5, 0.5);
      texture.repeat.set(1, -1);
    } else {
      texture = new Texture(decoded.bitmap);
    }
    texture.colorSpace = SRGBColorSpace;
    texture.flipY = false; // a bitmap was decoded flipped; texels are flipped by the UV transform
    texture.generateMipmaps = false;
    texture.minFilter = LinearFilter;
    texture.magFilter = LinearFilter;
    texture.needsUpdate = true;
    this.renderer.initTexture(texture);
    this.texture = texture;
    const material = this.backWall.material;
    material.map = texture;
    material.color.set(0xffffff);
    return freed;
  }

  /** Takes the image off the back wall: the background colour shows again (the seed's "no image"). */
  clearBackground(): void {
    this.freeTexture();
  }

  /**
   * The back wall's image, off the wall (the blank map and the background colour instead) and freed,
   * GPU memory and bitmap; its texels, if it was made of texels (no longer used).
   */
  private freeTexture(): Uint8Array | null {
    const old = this.texture;
    if (!old) return null;
    this.texture = null;
    this.backWall.material.map = this.blank;
    this.backWall.material.color.copy(this.backgroundColor);
    old.dispose();
    if (old.image instanceof ImageBitmap) old.image.close();
    const data: unknown = old instanceof DataTexture ? (old.image as { data?: unknown }).data : null;
    return data instanceof Uint8Array ? data : null;
  }

  /** Draws one frame. */
  render(): void {
    this.renderer.render(this.scene, this.camera);
  }

  /** The walls: the background colour, lit as if from above left, so that the box reads as a box. */
  private shadeWalls(): void {
    const light = [0.34, 0.06, 0.22, 0.14]; // floor, ceiling, left, right
    this.walls.forEach((material, i) => {
      material.color.copy(this.backgroundColor).lerp(new Color(0xffffff), light[i] ?? 0.1);
    });
    // Around the box: the same colour, much darker.
    this.scene.background = this.backgroundColor.clone().lerp(new Color(0x000000), 0.65);
  }
}
