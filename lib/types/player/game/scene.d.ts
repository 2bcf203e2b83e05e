/**
 * The demo game's 3D scene: a lit ball bouncing in an open box whose back wall is the background
 * (a texture, or the theme's colour). World coordinates are the script's: 800 × 600 units, `y` down;
 * the scene maps them onto the box's front opening. Nothing here knows about patches: the page
 * calls `setBall`, `setTheme` and `setBackground`.
 */
import { WebGLRenderer } from 'three';
import { type Ball } from '../sandbox/contract.ts';
import type { DecodedTexture } from './texture.ts';
/** The seed's colours: dark blue-grey background, red ball. */
export declare const DEFAULT_BACKGROUND = "#1e2832";
export declare const DEFAULT_BALL = "#ff6464";
/** The look a theme config sets. */
export interface SceneTheme {
    readonly background?: string;
    readonly ball?: string;
}
/** The game scene; see the file comment. */
export declare class GameScene {
    readonly renderer: WebGLRenderer;
    private readonly scene;
    private readonly camera;
    private readonly ball;
    private readonly backWall;
    /** Floor, ceiling, left, right: unlit, each a fixed shade of the theme colour (cheap to draw). */
    private readonly walls;
    private readonly wallShadow;
    private readonly floorShadow;
    private texture;
    /**
     * The back wall always has a map — this 1 × 1 white one until a background arrives — so that
     * swapping in a texture never changes the material's shader: compiling a new shader variant in the
     * middle of the game is exactly the long frame a texture swap must not cause.
     */
    private readonly blank;
    private backgroundColor;
    constructor(canvas: HTMLCanvasElement);
    /** Fits the camera so that the box's front opening fills the canvas. */
    resize(): void;
    /** Places the ball (world coordinates). */
    setBall(ball: Ball): void;
    /** Applies a theme's colours (a missing field goes back to the default). */
    setTheme(theme: SceneTheme): void;
    /**
     * Shows a decoded image on the back wall. The GPU upload happens here, at a moment the page
     * chose, not in the middle of some later frame.
     */
    setBackground(decoded: DecodedTexture): void;
    /** Takes the image off the back wall: the background colour shows again (the seed's "no image"). */
    clearBackground(): void;
    /** Draws one frame. */
    render(): void;
    /** The walls: the background colour, lit as if from above left, so that the box reads as a box. */
    private shadeWalls;
}
