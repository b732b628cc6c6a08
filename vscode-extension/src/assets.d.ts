// esbuild's "text" loader: an imported .html file is its content as a string.
declare module "*.html" {
  const text: string;
  export default text;
}
